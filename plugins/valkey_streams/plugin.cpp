// The valkey_streams queue plugin: manifest and factory.
#include "settings.hpp"
#include "streams_queue.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::valkey_streams {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "valkey_streams",
        .version = "0.1.0",
        .description =
            "durable queue on Valkey/Redis Streams (partition streams, a consumer "
            "group for the store)",
        .schema = binding().schema(),
        .factory = sdk::QueueFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Queue> {
            return std::make_unique<StreamsQueue>(binding().read(ctx.config()), ctx);
        }),
        .check = [](const sdk::ConfigView& config) { return binding().problems(config); },
        .scope = sdk::Scope::shared,
    };
    return kManifest;
}

}  // namespace relay::plugins::valkey_streams

RELAY_PLUGIN(relay::plugins::valkey_streams::manifest)
