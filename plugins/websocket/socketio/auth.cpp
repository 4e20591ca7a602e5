#include "socketio/auth.hpp"

#include "socketio/json.hpp"

namespace relay::plugins::websocket::socketio {

std::optional<std::string> string_member(std::string_view object_json, std::string_view key) {
    json::MemberList members;
    if (json::parse_object(object_json, members)) return std::nullopt;
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
        if (!json::string_equals(it->key, key)) continue;
        if (json::kind_of(it->value) != json::Kind::string) return std::nullopt;
        return json::unescape(it->value);
    }
    return std::nullopt;
}

std::optional<RecoveryRequest> recovery_request(std::string_view auth_json) {
    auto pid = string_member(auth_json, "pid");
    if (!pid) return std::nullopt;
    RecoveryRequest req{.pid = std::move(*pid), .offset = {}};
    if (auto offset = string_member(auth_json, "offset")) req.offset = std::move(*offset);
    return req;
}

}  // namespace relay::plugins::websocket::socketio
