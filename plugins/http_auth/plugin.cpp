// The http auth plugin: manifest and factory.
#include "http_authenticator.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::http_auth {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "http",
        .version = "0.1.0",
        .description =
            "asks an HTTP service of yours who each client is and which rooms it "
            "may use (POST url on every connect and refresh)",
        .schema = binding().schema(),
        .factory =
            sdk::AuthFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Authenticator> {
                return std::make_unique<HttpAuthenticator>(binding().read(ctx.config()), ctx);
            }),
        .check = [](const sdk::ConfigView& config) { return binding().problems(config); },
    };
    return kManifest;
}

}  // namespace relay::plugins::http_auth

RELAY_PLUGIN(relay::plugins::http_auth::manifest)
