// The postgres store plugin: manifest and factory.
#include "postgres_store.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::postgres {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "postgres",
        .version = "0.1.0",
        .description = "message history in PostgreSQL (libpq, asynchronous, batched writes)",
        .schema = schema(),
        .factory = sdk::StoreFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Store> {
            return std::make_unique<PostgresStore>(parse_settings(ctx.config()), ctx);
        }),
        .check = check,
        .scope = sdk::Scope::shared,
    };
    return kManifest;
}

}  // namespace relay::plugins::postgres

RELAY_PLUGIN(relay::plugins::postgres::manifest)
