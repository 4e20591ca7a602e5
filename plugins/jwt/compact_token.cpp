#include "compact_token.hpp"

#include "base64url.hpp"

#include <nlohmann/json.hpp>

namespace relay::plugins::jwt {

std::optional<CompactToken> split_token(std::string_view token) {
    if (token.size() > kMaxTokenBytes) return std::nullopt;
    const auto first = token.find('.');
    const auto second = token.find('.', first == std::string_view::npos ? first : first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos ||
        token.find('.', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    const auto header_text = base64url_decode(token.substr(0, first));
    auto signature = base64url_decode(token.substr(second + 1));
    if (!header_text || !signature) return std::nullopt;
    const auto header = nlohmann::json::parse(*header_text, nullptr, false);
    if (header.is_discarded() || !header.is_object() || header.contains("crit")) {
        return std::nullopt;
    }
    const auto alg = header.find("alg");
    const auto kid = header.find("kid");
    if (alg == header.end() || !alg->is_string() || (kid != header.end() && !kid->is_string())) {
        return std::nullopt;
    }
    CompactToken split;
    split.signing_input = token.substr(0, second);
    split.payload = token.substr(first + 1, second - first - 1);
    split.signature = std::move(*signature);
    split.alg = alg->get<std::string>();
    if (kid != header.end()) split.kid = kid->get<std::string>();
    return split;
}

}  // namespace relay::plugins::jwt
