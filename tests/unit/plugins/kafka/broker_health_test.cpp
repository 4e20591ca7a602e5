// BrokerHealth reads librdkafka's statistics: which broker connections are up, who
// leads each partition; from that, which partitions' rooms would stall.
#include "plugins/kafka/broker_health.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

namespace relay::plugins::kafka {
namespace {

// Trimmed from a real producer's statistics (librdkafka 2.0.2, three mock brokers).
std::string statistics(const std::string& broker2_state) {
    return R"({"name":"rdkafka#producer-1","brokers":{)"
           R"("127.0.0.1:9092/bootstrap":{"name":"127.0.0.1:9092/bootstrap","nodeid":-1,"state":"INIT","req":{"Produce":0}},)"
           R"("127.0.0.1:9092/1":{"name":"127.0.0.1:9092/1","nodeid":1,"nodename":"127.0.0.1:9092","state":"UP","toppars":{"chats-0":{"topic":"chats","partition":0}}},)"
           R"("127.0.0.1:9093/2":{"name":"127.0.0.1:9093/2","nodeid":2,"state":")" +
           broker2_state +
           R"(","toppars":{}}},)"
           R"("topics":{ "other": { "partitions":{ "0": { "partition":0, "leader":2}}}, )"
           R"("chats": { "topic":"chats", "partitions":{ )"
           R"("0":{"partition":0,"broker":1,"leader":1,"msgq_cnt":0},)"
           R"("1":{"partition":1,"broker":2,"leader":2,"msgq_cnt":0},)"
           R"("-1":{"partition":-1,"broker":-1,"leader":-1}}}}})";
}

TEST(KafkaBrokerHealth, ReadsBrokerStatesAndPartitionLeadersFromStatistics) {
    const auto view = BrokerHealth::parse_statistics(statistics("DOWN"), "chats");
    EXPECT_EQ(view.broker_state, (std::map<std::int32_t, std::string>{{1, "UP"}, {2, "DOWN"}}));
    EXPECT_EQ(view.leaders, (std::map<std::int32_t, std::int32_t>{{0, 1}, {1, 2}}));
}

TEST(KafkaBrokerHealth, ALeaderNotConnectedIsDegradedNamingItsPartitionsAndBackWhenUp) {
    sdk::testing::TestContext ctx;
    BrokerHealth health("k:9092", "chats", ctx.test_health(), ctx.logger(), ctx.metrics(),
                        [](std::function<void()> report) { report(); });
    health.start(2, [] { return std::int64_t{0}; });
    health.statistics(statistics("UP"));
    EXPECT_EQ(ctx.test_health().state(), sdk::testing::TestHealth::State::working);
    health.statistics(statistics("CONNECT"));
    EXPECT_EQ(ctx.test_health().degraded_reason().value_or(""),
              "the leader of partition(s) 1 of topic 'chats' is not connected; publishes to "
              "their rooms wait up to queue.message_timeout, then fail. Other rooms work");
    EXPECT_EQ(ctx.test_metrics().gauge_value("kafka_partitions_unreachable"), 1);
    health.statistics(statistics("UP"));
    EXPECT_EQ(ctx.test_health().state(), sdk::testing::TestHealth::State::working);
    health.stop();
}

TEST(KafkaBrokerHealth, AllBrokersDownIsUnavailableUntilAnAckOrEveryLeaderIsBack) {
    sdk::testing::TestContext ctx;
    std::int64_t waiting = 1;
    BrokerHealth health("k:9092", "chats", ctx.test_health(), ctx.logger(), ctx.metrics(),
                        [](std::function<void()> report) { report(); });
    health.start(2, [&] { return waiting; });
    health.all_brokers_down();
    EXPECT_TRUE(ctx.test_health().unavailable_reason().has_value());
    // Leaders connected again, but a publish still waits: its ack decides.
    health.statistics(statistics("UP"));
    EXPECT_FALSE(health.wants_metadata_probe());
    EXPECT_TRUE(ctx.test_health().unavailable_reason().has_value());
    health.delivered();
    EXPECT_EQ(ctx.test_health().state(), sdk::testing::TestHealth::State::working);
    // Nothing waiting: a metadata answer with a leader for every partition is enough.
    waiting = 0;
    health.all_brokers_down();
    health.statistics(statistics("UP"));
    EXPECT_TRUE(ctx.test_health().unavailable_reason().has_value()) << "silence is no ack";
    ASSERT_TRUE(health.wants_metadata_probe());
    EXPECT_FALSE(health.wants_metadata_probe()) << "at most every kProbeInterval";
    health.metadata_probe(false);
    EXPECT_TRUE(ctx.test_health().unavailable_reason().has_value());
    health.metadata_probe(true);
    EXPECT_EQ(ctx.test_health().state(), sdk::testing::TestHealth::State::working);
    health.stop();
}

}  // namespace
}  // namespace relay::plugins::kafka
