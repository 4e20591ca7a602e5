// The jwt auth plugin: manifest and factory.
#include "config_check.hpp"
#include "jwt_authenticator.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::jwt {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "jwt",
        .version = "0.1.0",
        .description =
            "authenticates clients by signed JSON Web Tokens (HS256/384/512, RS256, ES256, "
            "EdDSA); claims name the user and grant rooms",
        .schema = schema(),
        .factory =
            sdk::AuthFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Authenticator> {
                const auto& config = ctx.config();
                // The host checked already; a host that did not gets the first problem.
                if (auto problems = check_config(config); !problems.empty()) {
                    config.fail(problems.front().key, problems.front().message);
                }
                return std::make_unique<JwtAuthenticator>(parse_settings(config), ctx.log(),
                                                          ctx.metrics());
            }),
        .check = check_config,
        .scope = sdk::Scope::unspecified,
    };
    return kManifest;
}

}  // namespace relay::plugins::jwt

RELAY_PLUGIN(relay::plugins::jwt::manifest)
