// Connection state recovery through the host when the pipeline has no store: the
// queue's log answers (Queue::read_after, by message id). Here the embedded memory
// queue, whose last `retain` messages are its log, and valkey_streams; the kafka
// queue's version is in plugins/kafka/kafka_flow_recovery_test.cpp.
#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/recording_host.hpp"
#include "support/recording_transport.hpp"
#include "support/valkey_server.hpp"
#include "support/wait.hpp"

#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace relay::testing {
namespace {

using namespace std::chrono_literals;

/// Alice publishes `count` messages, every fourth to another room; returns once all
/// were acked and bob (in "lobby") got his live.
std::vector<RecordingTransport::Delivery> publish_lobby(RecordingTransport& transport, int count,
                                                        std::size_t lobby_count) {
    std::mutex mutex;
    std::size_t acked = 0;
    for (int i = 0; i < count; ++i) {
        sdk::Message msg;
        msg.room = i % 4 == 3 ? "kitchen" : "lobby";
        msg.sender = "alice";
        msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
        transport.inbound().publish(std::move(msg), [&](const sdk::Published& p) {
            EXPECT_FALSE(p.error) << p.error.message();
            std::lock_guard lock(mutex);
            ++acked;
        });
    }
    EXPECT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return acked == static_cast<std::size_t>(count);
    }));
    EXPECT_TRUE(eventually([&] { return transport.received()["bob"].size() == lobby_count; }));
    return transport.received()["bob"];
}

TEST(FlowRecovery, WithoutAStoreTheMemoryQueuesRetainedMessagesServeRecovery) {
    auto loaded = load_test_pipeline(
        "node: { id: test-node, threads: 2 }\n"
        "transport: { use: testline }\n"
        "queue: { use: memory, retain: 8 }\n"
        "presence: { use: local }\n");
    RecordingHost running(loaded, {{"lobby", "alice"}, {"lobby", "bob"}});
    RecordingTransport& transport = running.transport;
    host::Host& host = running.host;

    const auto live = publish_lobby(transport, 12, 9);  // lobby: 0 1 2 4 5 6 8 9 10
    ASSERT_EQ(live.size(), 9u);

    // Retained: the last 8 of 12 (messages 4..11). Bob last saw message 5.
    auto [ec, missed] = transport.recover("lobby", live[4].id);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(missed.size(), 4u);
    for (std::size_t i = 0; i < missed.size(); ++i) EXPECT_EQ(missed[i].id, live[i + 5].id);
    // Message 1 is no longer retained: not recovered, rather than recovered with a gap.
    std::tie(ec, missed) = transport.recover("lobby", live[1].id);
    EXPECT_TRUE(ec);
    EXPECT_TRUE(missed.empty());
    host.stop();
}

TEST(FlowRecovery, WithoutAStoreValkeyStreamsServeRecoveryFromTheRoomsStream) {
    ValkeyServer server;
    auto loaded = load_test_pipeline(
        "node: { id: test-node, threads: 2 }\n"
        "transport: { use: testline }\n"
        "queue: { use: valkey_streams, url: " +
        server.url() +
        " }\n"
        "presence: { use: local }\n");
    RecordingHost running(loaded, {{"lobby", "alice"}, {"lobby", "bob"}});
    RecordingTransport& transport = running.transport;
    host::Host& host = running.host;
    const auto live = publish_lobby(transport, 12, 9);
    ASSERT_EQ(live.size(), 9u);

    auto [ec, missed] = transport.recover("lobby", live[1].id);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(missed.size(), 7u);
    for (std::size_t i = 0; i < missed.size(); ++i) EXPECT_EQ(missed[i].id, live[i + 2].id);
    std::tie(ec, missed) = transport.recover("lobby", live.back().id);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(missed.empty());
    std::tie(ec, missed) = transport.recover("lobby", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    EXPECT_TRUE(ec) << "an id the stream does not hold";
    host.stop();
}

}  // namespace
}  // namespace relay::testing
