#include "rooms_claim.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <string>

namespace relay::plugins::jwt {

namespace {

constexpr std::array kPermissions = {sdk::Permission::join, sdk::Permission::publish,
                                     sdk::Permission::history, sdk::Permission::presence};

/// The permissions a JSON array of names stands for; nullopt for a name that is none.
std::optional<sdk::Permissions> permissions_named(const nlohmann::json& names) {
    if (!names.is_array()) return std::nullopt;
    sdk::Permissions set = sdk::kNoPermissions;
    for (const auto& name : names) {
        if (!name.is_string()) return std::nullopt;
        bool known = false;
        for (const auto permission : kPermissions) {
            if (sdk::permission_name(permission) == name.get_ref<const std::string&>()) {
                set |= static_cast<sdk::Permissions>(permission);
                known = true;
            }
        }
        if (!known) return std::nullopt;
    }
    return set;
}

}  // namespace

std::optional<std::vector<sdk::RoomGrant>> parse_rooms_claim(const nlohmann::json& claim) {
    std::vector<sdk::RoomGrant> grants;
    if (claim.is_array()) {
        for (const auto& pattern : claim) {
            if (!pattern.is_string() || pattern.get_ref<const std::string&>().empty()) {
                return std::nullopt;
            }
            grants.push_back({pattern.get<std::string>(), sdk::kAllPermissions});
        }
        return grants;
    }
    if (!claim.is_object()) return std::nullopt;
    for (const auto& [pattern, names] : claim.items()) {
        const auto permissions = permissions_named(names);
        if (pattern.empty() || !permissions) return std::nullopt;
        grants.push_back({pattern, *permissions});
    }
    return grants;
}

}  // namespace relay::plugins::jwt
