// The sqlite store plugin: manifest and factory.
#include "settings.hpp"
#include "sqlite_store.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::sqlite {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "sqlite",
        .version = "0.1.0",
        .description = "message history in a local sqlite file (WAL)",
        .schema = schema(),
        .factory = sdk::StoreFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Store> {
            return std::make_unique<SqliteStore>(parse_settings(ctx.config()), ctx);
        }),
        .check = {},
        .scope = sdk::Scope::node_local,
    };
    return kManifest;
}

}  // namespace relay::plugins::sqlite

RELAY_PLUGIN(relay::plugins::sqlite::manifest)
