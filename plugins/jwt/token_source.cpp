#include "token_source.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <string_view>

namespace relay::plugins::jwt {

namespace {

/// The credentials of `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1).
std::string_view bearer_credentials(std::string_view header) {
    constexpr std::string_view kScheme = "bearer";
    if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return {};
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
    }
    header.remove_prefix(kScheme.size());
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
    return header;
}

}  // namespace

std::string presented_token(const sdk::Handshake& handshake) {
    const auto auth = nlohmann::json::parse(handshake.auth_json, nullptr, false);
    if (auth.is_string() && !auth.get_ref<const std::string&>().empty()) {
        return auth.get<std::string>();
    }
    if (auth.is_object()) {
        const auto token = auth.find("token");
        if (token != auth.end() && token->is_string() &&
            !token->get_ref<const std::string&>().empty()) {
            return token->get<std::string>();
        }
    }
    return std::string(bearer_credentials(handshake.header("authorization")));
}

}  // namespace relay::plugins::jwt
