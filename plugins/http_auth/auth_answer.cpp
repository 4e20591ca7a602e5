#include "auth_answer.hpp"

#include "refusals.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

namespace relay::plugins::http_auth {

namespace {

using nlohmann::json;
/// What is wrong with an identity, for the log; nullopt: nothing.
using Problem = std::optional<std::string>;

constexpr std::array kPermissions = {sdk::Permission::join, sdk::Permission::publish,
                                     sdk::Permission::history, sdk::Permission::presence};

// system_clock counts nanoseconds in 64 bits on this platform: about 292 years either
// side of 1970. Later than this is a bug in the service, not a long session.
constexpr double kLatestExpiry = 9.0e9;  // seconds since the epoch: the year 2255

/// `value` as JSON text, cut short for a log line.
std::string shown(const json& value) {
    constexpr std::size_t kMax = 80;
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > kMax) text = text.substr(0, kMax) + "...";
    return text;
}

Answer malformed(std::string problem) {
    return {Answer::Kind::malformed, sdk::AuthOutcome::refuse(std::string(refusals::kMalformed)),
            std::move(problem)};
}

Answer denied(std::string reason) {
    if (reason.empty()) reason = refusals::kDenied;
    return {Answer::Kind::denied, sdk::AuthOutcome::refuse(std::move(reason)), {}};
}

Problem read_permissions(const json& names, const std::string& pattern,
                         sdk::Permissions& permissions) {
    if (!names.is_array()) {
        return "`rooms." + pattern + "` is not a list of permissions, got " + shown(names);
    }
    for (const auto& name : names) {
        const auto* text = name.get_ptr<const std::string*>();
        bool known = false;
        for (const auto permission : kPermissions) {
            if (text != nullptr && *text == sdk::permission_name(permission)) {
                permissions |= static_cast<sdk::Permissions>(permission);
                known = true;
            }
        }
        if (!known) {
            return "`rooms." + pattern + "` has the unknown permission " + shown(name) +
                   " (expected join, publish, history or presence)";
        }
    }
    return std::nullopt;
}

Problem read_rooms(const json& rooms, std::vector<sdk::RoomGrant>& grants) {
    if (rooms.is_null()) return std::nullopt;
    if (rooms.is_array()) {
        for (const auto& pattern : rooms) {
            if (!pattern.is_string()) {
                return "`rooms` lists something that is not a room pattern: " + shown(pattern);
            }
            grants.push_back({pattern.get<std::string>(), sdk::kAllPermissions});
        }
        return std::nullopt;
    }
    if (!rooms.is_object()) {
        return "`rooms` is neither an object of patterns nor a list, got " + shown(rooms);
    }
    for (const auto& [pattern, names] : rooms.items()) {
        sdk::RoomGrant grant{pattern, sdk::kNoPermissions};
        if (auto problem = read_permissions(names, pattern, grant.permissions)) return problem;
        if (grant.permissions != sdk::kNoPermissions) grants.push_back(std::move(grant));
    }
    return std::nullopt;
}

Problem read_expiry(const json& value, std::chrono::system_clock::time_point& expires_at) {
    if (value.is_null()) return std::nullopt;
    if (!value.is_number()) return "`expires_at` is not a number, got " + shown(value);
    const auto seconds = value.get<double>();
    if (!(seconds >= 0) || seconds > kLatestExpiry) {
        return "`expires_at` is not unix seconds between 0 and " +
               std::to_string(static_cast<std::int64_t>(kLatestExpiry)) + ", got " + shown(value);
    }
    const auto since_epoch = value.is_number_float()
                                 ? std::chrono::milliseconds(std::llround(seconds * 1000))
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::seconds(value.get<std::int64_t>()));
    expires_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
    return std::nullopt;
}

/// The `name` key's text, or a problem; absent and null are empty.
Problem read_name(const json& value, std::string& name) {
    if (value.is_null()) return std::nullopt;
    if (!value.is_string()) return "`name` is not a string, got " + shown(value);
    name = value.get<std::string>();
    return std::nullopt;
}

/// `key` of `object`, or null when it is absent.
const json& member(const json& object, const char* key) {
    static const json kAbsent;
    const auto it = object.find(key);
    return it == object.end() ? kAbsent : *it;
}

Answer read_identity(std::string_view body) {
    const auto answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (answer.is_discarded()) return malformed("the 2xx body is not JSON");
    if (!answer.is_object()) return malformed("the 2xx body is not a JSON object");

    if (const auto& deny = member(answer, "deny"); !deny.is_null()) {
        if (!deny.is_string()) return malformed("`deny` is not a string, got " + shown(deny));
        return denied(deny.get<std::string>());
    }

    sdk::Identity identity;
    const auto& user = member(answer, "user");
    if (!user.is_string() || user.get_ref<const std::string&>().empty()) {
        return malformed(user.is_null() ? "no `user` (nor `deny`)"
                                        : "`user` is not a non-empty string, got " + shown(user));
    }
    identity.user_id = user.get<std::string>();
    if (auto problem = read_name(member(answer, "name"), identity.name)) {
        return malformed(std::move(*problem));
    }
    if (auto problem = read_expiry(member(answer, "expires_at"), identity.expires_at)) {
        return malformed(std::move(*problem));
    }
    if (auto problem = read_rooms(member(answer, "rooms"), identity.rooms)) {
        return malformed(std::move(*problem));
    }
    return {Answer::Kind::allowed, sdk::AuthOutcome::allow(std::move(identity)), {}};
}

Answer read_denial(std::string_view body) {
    const auto answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (answer.is_object()) {
        if (const auto* reason = member(answer, "reason").get_ptr<const std::string*>()) {
            return denied(*reason);
        }
    }
    return denied({});
}

}  // namespace

Answer read_answer(unsigned status, std::string_view body) {
    if (status >= 200 && status <= 299) return read_identity(body);
    if (status == 401 || status == 403) return read_denial(body);
    return {
        Answer::Kind::service_error, sdk::AuthOutcome::refuse(refusals::service_error(status)), {}};
}

}  // namespace relay::plugins::http_auth
