// The api_keys auth plugin's entry point: its manifest, exported for relay to load.
#include "api_key_auth.hpp"

#include <relay/sdk/plugin.hpp>

namespace {

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "api_keys",
        .version = "1.0.0",
        .description =
            "lets in clients whose API key (Authorization: Bearer, X-Api-Key) is "
            "in a keys file",
        .schema = api_keys::ApiKeyAuth::schema(),
        .factory = relay::sdk::AuthFactory([](relay::sdk::PluginContext& ctx) {
            return std::make_unique<api_keys::ApiKeyAuth>(ctx);
        }),
        .check = api_keys::ApiKeyAuth::check,
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
