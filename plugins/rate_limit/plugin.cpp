// The rate_limit processor plugin: manifest and factory.
#include "rate_limiter.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>

namespace relay::plugins::rate_limit {

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "rate_limit",
        .version = "0.1.0",
        .description =
            "holds each connection, user and remote address to a message rate "
            "(token buckets); a message over it gets the error ack `rate limited`",
        .schema = schema(),
        .factory =
            sdk::ProcessorFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Processor> {
                return std::make_unique<RateLimiter>(parse_settings(ctx.config()), ctx.metrics());
            }),
        .check = check,
        .scope = sdk::Scope::node_local,
    };
    return kManifest;
}

}  // namespace relay::plugins::rate_limit

RELAY_PLUGIN(relay::plugins::rate_limit::manifest)
