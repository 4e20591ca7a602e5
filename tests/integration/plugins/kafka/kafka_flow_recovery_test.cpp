// Connection state recovery from the Kafka log: a pipeline with the kafka queue and no
// store (the plugin loaded from build/plugins, an in-process transport). A member who
// missed messages asks the host (Inbound::recover) for what came after the last one it
// saw, by message id, and gets them from the log, in order.
#include "kafka_test_support.hpp"

#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/recording_host.hpp"
#include "support/recording_transport.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::RecordingHost;
using relay::testing::RecordingTransport;

TEST(KafkaFlowRecovery, WithoutAStoreAReconnectingMemberIsServedFromTheLog) {
    auto& cluster = shared_cluster();
    const auto topic = fresh_topic(cluster, "recovery", 4);
    const std::string room = "lobby-" + sdk::testing::unique_token();
    const std::string other_room = room + "-other";
    auto loaded = relay::testing::load_test_pipeline(
        "node: { id: node-r, threads: 2 }\n"
        "transport: { use: testline }\n"
        "queue: { use: kafka, brokers: \"" +
        cluster.bootstrap() + "\", topic: " + topic +
        ", partitions: 4 }\n"
        "presence: { use: local }\n");
    RecordingHost running(loaded, {{room, "alice"}, {room, "bob"}});
    RecordingTransport& transport = running.transport;
    host::Host& host = running.host;

    // Alice writes 10 messages to the room and 5 elsewhere; bob gets them live.
    std::mutex mutex;
    std::vector<sdk::Published> acks;
    for (int i = 0; i < 15; ++i) {
        sdk::Message msg;
        msg.room = i % 3 == 2 ? other_room : room;
        msg.sender = "alice";
        msg.user = "Alice";
        msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
        transport.inbound().publish(std::move(msg), [&](const sdk::Published& p) {
            std::lock_guard lock(mutex);
            acks.push_back(p);
        });
    }
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            std::lock_guard lock(mutex);
            return acks.size() == 15;
        },
        30s));
    for (const auto& ack : acks) ASSERT_FALSE(ack.error) << ack.error.message() << ack.reason;
    ASSERT_TRUE(
        relay::testing::eventually([&] { return transport.received()["bob"].size() == 10; }, 30s));
    const auto live = transport.received()["bob"];

    // Bob saw the first three, then his connection dropped: the rest from the log, in
    // delivery order, as the broadcast had them.
    auto [ec, missed] = transport.recover(room, live[2].id);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(missed.size(), 7u);
    for (std::size_t i = 0; i < missed.size(); ++i) {
        EXPECT_EQ(missed[i].id, live[i + 3].id);
        EXPECT_EQ(missed[i].room, room);
        EXPECT_EQ(missed[i].sender, "alice");
        EXPECT_EQ(missed[i].user, "Alice");
        EXPECT_EQ(missed[i].payload_json, live[i + 3].payload);
    }
    std::tie(ec, missed) = transport.recover(room, live.back().id);
    EXPECT_FALSE(ec) << "nothing missed: " << ec.message();
    EXPECT_TRUE(missed.empty());

    // An offset the log does not hold is an error (the client is not recovered), never
    // an empty answer that would pass for "missed nothing".
    std::tie(ec, missed) = transport.recover(room, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found));
    std::tie(ec, missed) = transport.recover(room, "not-an-offset");
    EXPECT_TRUE(ec);
    host.stop();
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
