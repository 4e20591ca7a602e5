// The shared contract suites against the Valkey plugins, loaded from build/plugins,
// on a redis-server started for this process.
#include <relay/sdk/testing/presence_contract.hpp>
#include <relay/sdk/testing/queue_contract.hpp>

#include "valkey_plugins.hpp"

#include <gtest/gtest.h>

namespace relay::testing::valkey {

struct ValkeyPresenceTraits {
    static sdk::Schema schema() { return presence_manifest().schema; }
    static std::unique_ptr<sdk::Presence> make(sdk::PluginContext& ctx) {
        return make_presence(ctx);
    }
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_string("url", shared_server().url());
        config.set_string("key_prefix", "test:" + sdk::testing::unique_token() + ":");
    }
};

struct StreamsQueueTraits {
    static sdk::Schema schema() { return queue_manifest().schema; }
    static std::unique_ptr<sdk::Queue> make(sdk::PluginContext& ctx) { return make_queue(ctx); }
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_string("url", shared_server().url());
        config.set_string("stream", "test:" + sdk::testing::unique_token() + ":chats");
        config.set_integer("partitions", 4);
        config.set_duration("store_retry_delay", 10ms);
        config.set_duration("block", 200ms);
        config.set_duration("backlog_interval", 20ms);
    }
    static std::size_t configure_small(sdk::testing::TestConfig& config) {
        config.set_integer("capacity", 8);
        return 8;
    }
};

}  // namespace relay::testing::valkey

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Valkey, PresenceContract,
                               ::testing::Types<relay::testing::valkey::ValkeyPresenceTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(ValkeyStreams, QueueContract,
                               ::testing::Types<relay::testing::valkey::StreamsQueueTraits>);
}  // namespace relay::sdk::testing
