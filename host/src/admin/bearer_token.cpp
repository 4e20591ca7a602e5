#include "admin/bearer_token.hpp"

#include <cstddef>

namespace relay::host {

bool bearer_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view kScheme = "Bearer ";
    if (token.empty() || !authorization.starts_with(kScheme)) return false;
    const std::string_view given = authorization.substr(kScheme.size());
    unsigned char diff = given.size() == token.size() ? 0 : 1;
    for (std::size_t i = 0; i < given.size(); ++i) {
        diff |= static_cast<unsigned char>(given[i] ^ token[i % token.size()]);
    }
    return diff == 0;
}

}  // namespace relay::host
