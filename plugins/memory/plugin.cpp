// The memory queue plugin: manifest and factory.
#include "memory_queue.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::memory {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "memory",
        .version = "0.1.0",
        .description = "in-process ordered queue for a single node (nothing survives a restart)",
        .schema = schema(),
        .factory = sdk::QueueFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Queue> {
            return std::make_unique<MemoryQueue>(parse_settings(ctx.config()), ctx);
        }),
        .check = {},
        .scope = sdk::Scope::node_local,
    };
    return kManifest;
}

}  // namespace relay::plugins::memory

RELAY_PLUGIN(relay::plugins::memory::manifest)
