// The kafka queue plugin: manifest, schema check and factory.
#include "kafka_client.hpp"
#include "kafka_queue.hpp"
#include "settings.hpp"

#include <relay/sdk/manifest.hpp>

#include <memory>
#include <vector>

namespace relay::plugins::kafka {

namespace {

/// What the schema cannot say: the topic's name, and whether librdkafka knows the
/// pass-through properties (a typo there is caught by `relay check`, not at start).
std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    const Settings settings = parse_settings(config);  // throws ConfigError, located
    std::vector<sdk::KeyProblem> problems;
    for (auto& message : check_properties(settings.properties)) {
        problems.push_back({"properties", std::move(message)});
    }
    return problems;
}

}  // namespace

const sdk::Manifest& manifest() {
    static const sdk::Manifest kManifest{
        .name = "kafka",
        .version = "0.1.0",
        .description = "Kafka topic shared by all nodes (librdkafka): durable, ordered per room",
        .schema = schema(),
        .factory = sdk::QueueFactory([](sdk::PluginContext& ctx) -> std::unique_ptr<sdk::Queue> {
            return std::make_unique<KafkaQueue>(parse_settings(ctx.config()), ctx);
        }),
        .check = check,
        .scope = sdk::Scope::shared,
    };
    return kManifest;
}

}  // namespace relay::plugins::kafka

RELAY_PLUGIN(relay::plugins::kafka::manifest)
