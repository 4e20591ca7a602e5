// The local presence plugin: manifest and factory.
#include "local_presence.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::local {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "local",
        .version = "0.1.0",
        .description = "in-process presence for a single node",
        .schema = schema(),
        .factory =
            sdk::PresenceFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Presence> {
                return std::make_unique<LocalPresence>(parse_settings(ctx.config()), ctx);
            }),
        .check = {},
        .scope = sdk::Scope::node_local,
    };
    return kManifest;
}

}  // namespace relay::plugins::local

RELAY_PLUGIN(relay::plugins::local::manifest)
