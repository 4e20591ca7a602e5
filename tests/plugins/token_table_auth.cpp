// An auth plugin for the transport's tests: the token spells out the identity, so a
// test can ask for any user, grant and lifetime (down to milliseconds, which a JWT's
// whole seconds cannot) without a key. Never for production: anyone can write a token.
//
//   auth: {token: "<user>|<room pattern>|<permissions>|<lifetime ms>"}
//   permissions: letters of j(oin) p(ublish) h(istory) s (presence: s for "see");
//   lifetime 0: never expires. A token starting with "deny:" is refused with the rest
//   as the reason; no token is refused "token missing".
#include <relay/sdk/plugin.hpp>

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sdk = relay::sdk;

/// The token member of the auth object: a plain scan, enough for the tests' JSON.
std::optional<std::string> token_of(std::string_view auth_json) {
    constexpr std::string_view kKey = "\"token\":\"";
    const auto start = auth_json.find(kKey);
    if (start == std::string_view::npos) return std::nullopt;
    const auto from = start + kKey.size();
    const auto end = auth_json.find('"', from);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(auth_json.substr(from, end - from));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t at = 0;;) {
        const auto next = text.find(separator, at);
        parts.push_back(text.substr(at, next - at));
        if (next == std::string_view::npos) return parts;
        at = next + 1;
    }
}

class TokenTableAuth final : public sdk::Authenticator {
public:
    void authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) override {
        const auto token = token_of(handshake.auth_json);
        if (!token) return done(sdk::AuthOutcome::refuse("token missing"));
        if (token->starts_with("deny:")) return done(sdk::AuthOutcome::refuse(token->substr(5)));
        const auto parts = split(*token, '|');
        if (parts.size() != 4 || parts[0].empty()) {
            return done(sdk::AuthOutcome::refuse("token malformed"));
        }
        sdk::Identity identity;
        identity.user_id = std::string(parts[0]);
        identity.name = "name-of-" + identity.user_id;
        sdk::Permissions permissions = sdk::kNoPermissions;
        for (const char letter : parts[2]) {
            if (letter == 'j') permissions |= static_cast<sdk::Permissions>(sdk::Permission::join);
            if (letter == 'p')
                permissions |= static_cast<sdk::Permissions>(sdk::Permission::publish);
            if (letter == 'h')
                permissions |= static_cast<sdk::Permissions>(sdk::Permission::history);
            if (letter == 's')
                permissions |= static_cast<sdk::Permissions>(sdk::Permission::presence);
        }
        identity.rooms.push_back({std::string(parts[1]), permissions});
        long long lifetime_ms = 0;
        const auto [end, ec] =
            std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), lifetime_ms);
        if (ec != std::errc() || end != parts[3].data() + parts[3].size()) {
            return done(sdk::AuthOutcome::refuse("token malformed"));
        }
        if (lifetime_ms > 0) {
            identity.expires_at =
                std::chrono::system_clock::now() + std::chrono::milliseconds(lifetime_ms);
        }
        done(sdk::AuthOutcome::allow(std::move(identity)));
    }
};

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "tokentable",
        .version = "1.0.0",
        .description = "identities spelled out in the token (test only: no secret)",
        .schema = {},
        .factory = sdk::AuthFactory(
            [](sdk::PluginContext&) { return std::make_unique<TokenTableAuth>(); }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
