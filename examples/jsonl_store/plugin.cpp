// The jsonl store's entry point: its manifest, exported for relay to load.
#include "jsonl_store.hpp"

#include <relay/sdk/plugin.hpp>

namespace {

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "jsonl",
        .version = "1.0.0",
        .description = "history appended to a file of JSON lines",
        .schema = jsonl_store::JsonlStore::schema(),
        .factory = relay::sdk::StoreFactory([](relay::sdk::PluginContext& ctx) {
            return std::make_unique<jsonl_store::JsonlStore>(ctx);
        }),
        .check = {},
        // A file on this machine: behind a shared queue each node would keep only part
        // of the history, and `relay check` says so.
        .scope = relay::sdk::Scope::node_local,
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
