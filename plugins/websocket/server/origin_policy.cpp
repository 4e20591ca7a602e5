#include "server/origin_policy.hpp"

#include <algorithm>

namespace relay::plugins::websocket {

namespace {

bool same_text_ignoring_case(std::string_view a, std::string_view b) {
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

/// `origin` is `http://<host>` or `https://<host>`.
bool same_origin(std::string_view origin, std::string_view host) {
    if (host.empty()) return false;
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (origin.starts_with(scheme) &&
            same_text_ignoring_case(origin.substr(scheme.size()), host)) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
    if (origin.empty()) return true;
    if (same_origin(origin, host)) return true;
    return std::any_of(allowed.begin(), allowed.end(),
                       [&](const std::string& entry) { return entry == "*" || entry == origin; });
}

}  // namespace relay::plugins::websocket
