#include "key_table.hpp"

#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace api_keys {
namespace {

namespace sdk = relay::sdk;

/// "join,publish" → the permission bits; nullopt names nothing it knows.
std::optional<sdk::Permissions> parse_permissions(std::string_view text) {
    if (text == "all") return sdk::kAllPermissions;
    sdk::Permissions set = sdk::kNoPermissions;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto word = text.substr(0, comma);
        bool known = false;
        for (const auto p : {sdk::Permission::join, sdk::Permission::publish,
                             sdk::Permission::history, sdk::Permission::presence}) {
            if (word == sdk::permission_name(p)) {
                set |= static_cast<sdk::Permissions>(p);
                known = true;
            }
        }
        if (!known) return std::nullopt;
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return set;
}

}  // namespace

KeyTable KeyTable::read(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw KeyFileError(path + ": cannot open the keys file");
    KeyTable table;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const auto fail = [&](const std::string& why) {
            return KeyFileError(path + ":" + std::to_string(number) + ": " + why);
        };
        std::istringstream words(line);
        std::string key;
        if (!(words >> key) || key.starts_with('#')) continue;
        sdk::Identity identity;
        if (!(words >> identity.user_id)) throw fail("a key needs a user and at least one room");
        for (std::string grant; words >> grant;) {
            const auto equals = grant.rfind('=');
            if (equals == std::string::npos || equals == 0) {
                throw fail("expected <room pattern>=<permissions>, got '" + grant + "'");
            }
            const auto permissions = parse_permissions(std::string_view(grant).substr(equals + 1));
            if (!permissions) {
                throw fail("unknown permission in '" + grant +
                           "' (join, publish, history, presence or all)");
            }
            identity.rooms.push_back({grant.substr(0, equals), *permissions});
        }
        if (identity.rooms.empty()) throw fail("a key needs at least one room");
        // Never the key itself in a message: the file is a secret, the log is not.
        if (!table.identities_.emplace(key, std::move(identity)).second) {
            throw fail("this key is listed twice");
        }
    }
    return table;
}

std::optional<relay::sdk::Identity> KeyTable::find(const std::string& key) const {
    const auto it = identities_.find(key);
    if (it == identities_.end()) return std::nullopt;
    return it->second;
}

}  // namespace api_keys
