// The shared queue contract (sdk/include/relay/sdk/testing/queue_contract.hpp), run
// against the kafka queue on the mock cluster in its own process (or
// RELAY_TEST_KAFKA_BROKERS), a fresh 6-partition topic per test.
#include "kafka_test_support.hpp"

#include <relay/sdk/testing/queue_contract.hpp>

namespace relay::plugins::kafka::testing {

struct KafkaQueueTraits {
    static sdk::Schema schema() { return kafka::schema(); }
    static std::unique_ptr<sdk::Queue> make(sdk::PluginContext& ctx) { return make_queue(ctx); }
    static void set_up(sdk::testing::TestConfig& config) {
        auto& cluster = shared_cluster();
        configure(config, cluster, fresh_topic(cluster, "contract", 6), 6);
    }
    /// The producer queue bounds what waits for the brokers: beyond it, queue_full.
    static std::size_t configure_small(sdk::testing::TestConfig& config) {
        config.set_integer("max_in_flight", 8);
        return 8;
    }
};

}  // namespace relay::plugins::kafka::testing

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Kafka, QueueContract,
                               ::testing::Types<relay::plugins::kafka::testing::KafkaQueueTraits>);
}  // namespace relay::sdk::testing
