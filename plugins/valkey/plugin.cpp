// The valkey presence plugin: manifest and factory.
#include "settings.hpp"
#include "valkey_presence.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::valkey {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "valkey",
        .version = "0.1.0",
        .description = "presence across nodes in Valkey/Redis (heartbeats, expiry, pub/sub events)",
        .schema = binding().schema(),
        .factory =
            sdk::PresenceFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Presence> {
                return std::make_unique<ValkeyPresence>(binding().read(ctx.config()), ctx);
            }),
        .check = [](const sdk::ConfigView& config) { return binding().problems(config); },
        .scope = sdk::Scope::shared,
    };
    return kManifest;
}

}  // namespace relay::plugins::valkey

RELAY_PLUGIN(relay::plugins::valkey::manifest)
