// What the operator and the load balancer see while Kafka is away, through the relay
// binary's admin listener: every broker down makes /readyz 503 within 2 s; it answers
// 200 again only once acks flow (a message published then is acked at once, not
// after librdkafka's reconnect backoff); one broker down without a leader change
// (its partitions' rooms stall) shows as degraded, naming the partitions.
#include "kafka_test_support.hpp"
#include "support/relay_node.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::MockKafka;
using relay::testing::RelayNode;

std::string kafka_section(const MockKafka& cluster, const std::string& topic) {
    // The plugin's defaults, as in production.
    return "queue: { use: kafka, brokers: \"" + cluster.bootstrap() + "\", topic: " + topic +
           ", partitions: 6, store_group: store-" + topic + " }\n";
}

long long ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
}

TEST(KafkaReadiness, ReadyzIs503WhileEveryBrokerIsDownAndReadyOnlyOnceAcksFlow) {
    MockKafka cluster(3);
    ASSERT_TRUE(cluster.is_mock()) << "needs the mock cluster's fault injection";
    const auto topic = fresh_topic(cluster, "ready", 6);
    RelayNode node(kafka_section(cluster, topic));
    ASSERT_EQ(node.publish_one("lobby").rfind("ACK t1 ", 0), 0u) << node.log();

    for (int b = 1; b <= 3; ++b) cluster.broker_down(b);
    const auto down_ms = node.ms_until_readyz(503, 10s);
    ASSERT_TRUE(down_ms) << node.readyz().body << node.log();
    EXPECT_LE(*down_ms, 2000) << "the load balancer must hear of it within 2 s";
    const auto body = node.readyz().body;
    EXPECT_NE(body.find("not ready: unavailable:\nqueue 'kafka': "), std::string::npos) << body;
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"queue/kafka\"}"), 0);
    EXPECT_EQ(node.metric("relay_plugin_unavailable_total{plugin=\"queue/kafka\"}"), 1);
    EXPECT_NE(node.log().find("[queue/kafka] Kafka lost: "), std::string::npos) << node.log();

    for (int b = 1; b <= 3; ++b) cluster.broker_up(b);
    const auto up_ms = node.ms_until_readyz(200, 30s);
    ASSERT_TRUE(up_ms) << node.readyz().body << node.log();
    // Ready means acks flow: a message published the moment the node is ready again
    // is acked at once.
    const auto start = std::chrono::steady_clock::now();
    const auto answer = node.publish_one("lobby", 10s);
    const auto ack_ms = ms_since(start);
    EXPECT_EQ(answer.rfind("ACK t1 ", 0), 0u) << answer;
    EXPECT_LT(ack_ms, 1000) << "ready, but the ack took " << ack_ms << " ms";
    EXPECT_NE(node.log().find("[queue/kafka] Kafka back: "), std::string::npos) << node.log();
    std::cout << "kafka, every broker down: /readyz 503 after " << *down_ms
              << " ms; brokers back: 200 after " << *up_ms << " ms, then an ack in " << ack_ms
              << " ms\n";
    RecordProperty("readyz_503_ms", static_cast<int>(*down_ms));
    RecordProperty("readyz_200_ms", static_cast<int>(*up_ms));
}

TEST(KafkaReadiness, OneBrokerDownWithoutALeaderChangeShowsAsDegradedNamingThePartitions) {
    MockKafka cluster(3);
    ASSERT_TRUE(cluster.is_mock()) << "needs the mock cluster's fault injection";
    const auto topic = fresh_topic_spread(cluster, "degraded", 6);  // broker 2 leads 1 and 4
    RelayNode node(kafka_section(cluster, topic));
    ASSERT_EQ(node.publish_one("lobby").rfind("ACK t1 ", 0), 0u) << node.log();

    cluster.broker_down(2);
    // Rooms on every partition publish; those led by broker 2 stall.
    // (Each waits for its ack a little: a client gone at once may not have published.)
    for (int room = 0; room < 24; ++room) node.publish_one("room" + std::to_string(room), 300ms);
    const auto start = std::chrono::steady_clock::now();  // publishes are waiting now
    relay::testing::HttpAnswer answer;
    int more = 0;
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            answer = node.readyz();
            if (answer.body.find("degraded") != std::string::npos) return true;
            // On a loaded machine a publish above may not have been made before its
            // client left: keep rooms of every partition publishing until it shows.
            node.publish_one("room" + std::to_string(more++ % 24), 300ms);
            return false;
        },
        15s))
        << answer.body << node.log();
    const auto degraded_ms = ms_since(start);
    EXPECT_LE(degraded_ms, 5000) << "statistics come every second; this allows a loaded machine";
    // The other rooms work: the node stays in the load balancer.
    EXPECT_EQ(answer.status, 200);
    const std::string named = "queue 'kafka': the leader of partition(s) ";
    const auto list_at = answer.body.find(named);
    ASSERT_NE(list_at, std::string::npos) << answer.body;
    // Only partitions led by the broker that is down ("1", "4" or "1, 4").
    const auto list = answer.body.substr(
        list_at + named.size(), answer.body.find(" of topic", list_at) - list_at - named.size());
    EXPECT_TRUE(list == "1" || list == "4" || list == "1, 4") << answer.body;
    const auto unreachable = node.metric("relay_kafka_partitions_unreachable");
    ASSERT_TRUE(unreachable);
    EXPECT_GT(*unreachable, 0);
    EXPECT_LT(*unreachable, 6);
    EXPECT_EQ(node.metric("relay_plugins_degraded"), 1);

    cluster.broker_up(2);
    // The stalled publishes reach broker 2 once it is back, and the node is all ready.
    EXPECT_TRUE(relay::testing::eventually([&] { return node.readyz().body == "ready\n"; }, 30s))
        << node.readyz().body;
    EXPECT_EQ(node.metric("relay_kafka_partitions_unreachable"), 0);
    std::cout << "kafka, one broker down: degraded after " << degraded_ms << " ms\n";
    RecordProperty("degraded_ms", static_cast<int>(degraded_ms));
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
