// The host's flow with the postgres store loaded from build/plugins (memory queue,
// local presence, an in-process transport): the queue's store subscription commits
// only what the store has, so a server crash in the middle loses no acked message.
#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/postgres_server.hpp"
#include "support/recording_host.hpp"
#include "support/recording_transport.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace relay::testing {
namespace {

TEST(PostgresFlow, EveryAckedMessageIsStoredOnceAcrossAServerCrash) {
    PostgresServer server;
    auto loaded = load_test_pipeline(
        "transport: { use: testline }\n"
        "queue: { use: memory, ack: accepted, store_retry_delay: 20ms }\n"
        "presence: { use: local }\n"
        "store: { use: postgres, dsn: '" +
        server.url() +
        "', batch_max: 100, retry_backoff: 10ms, retry_backoff_max: 100ms }\n"
        "node: { id: test-node, threads: 2 }\n");
    RecordingHost running(loaded);
    RecordingTransport& transport = running.transport;
    host::Host& host = running.host;

    // A sender publishes without pause (a bounded number ahead of its acks); the
    // server dies while the store works through them, and more are published while it
    // is down. Those wait in the queue, whose store subscription must not let them go
    // until they are stored. (`ack: accepted` acks them meanwhile, so the sender can go
    // on while the server is down; with the default the acks would wait for it.)
    constexpr std::size_t kBefore = 15000;
    constexpr std::size_t kWhileDown = 5000;
    std::mutex mutex;
    std::set<std::string> acked;
    std::size_t answered = 0;
    std::atomic<std::size_t> sent{0};
    auto answered_now = [&] {
        std::lock_guard lock(mutex);
        return answered;
    };
    auto publish = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            while (sent.load() > answered_now() + 200) std::this_thread::yield();
            sdk::Message msg;
            msg.room = "room" + std::to_string(i % 10);
            msg.sender = "s" + std::to_string(i % 10);
            msg.user = "user";
            msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
            ++sent;
            transport.inbound().publish(std::move(msg), [&](const sdk::Published& p) {
                std::lock_guard lock(mutex);
                ++answered;
                if (!p.error) acked.insert(p.id);
            });
        }
    };
    std::thread sender([&] { publish(0, kBefore); });
    ASSERT_TRUE(eventually([&] { return answered_now() >= kBefore / 3; }));
    server.kill9();
    sender.join();
    publish(kBefore, kBefore + kWhileDown);
    ASSERT_TRUE(eventually([&] { return answered_now() == kBefore + kWhileDown; }));
    ASSERT_FALSE(server.running());
    server.restart();

    // History and recovery through the host come from the store, oldest first.
    auto history = [&](const std::string& room, sdk::HistoryQuery query) {
        auto result = std::make_shared<std::promise<std::vector<sdk::Message>>>();
        auto future = result->get_future();
        transport.inbound().history(room, std::move(query),
                                    [result](std::error_code ec, std::vector<sdk::Message> found) {
                                        if (ec) found.clear();
                                        result->set_value(std::move(found));
                                    });
        return future.wait_for(std::chrono::seconds(20)) == std::future_status::ready
                   ? future.get()
                   : std::vector<sdk::Message>{};
    };
    constexpr std::size_t kPerRoom = (kBefore + kWhileDown) / 10;
    std::vector<sdk::Message> room3;
    ASSERT_TRUE(eventually([&] {
        room3 = history("room3", {kPerRoom + 10, {}, {}});
        return room3.size() == kPerRoom;
    })) << room3.size()
        << " of room3's " << kPerRoom << " messages in the store";
    for (std::size_t i = 1; i < room3.size(); ++i) ASSERT_LT(room3[i - 1].id, room3[i].id);
    auto recovered = std::make_shared<std::promise<std::vector<sdk::Message>>>();
    transport.inbound().recover("room3", room3[kPerRoom - 6].id,
                                [recovered](std::error_code, std::vector<sdk::Message> found) {
                                    recovered->set_value(std::move(found));
                                });
    auto after = recovered->get_future();
    ASSERT_EQ(after.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    EXPECT_EQ(after.get(), std::vector<sdk::Message>(room3.end() - 5, room3.end()));

    host.stop();  // the memory queue drains into the store first

    std::lock_guard lock(mutex);
    EXPECT_EQ(acked.size(), kBefore + kWhileDown);
    for (const auto& m : room3) EXPECT_TRUE(acked.count(m.id)) << m.id;
    std::set<std::string> stored;
    std::size_t rows = 0;
    for (const auto& row : server.query("SELECT id FROM relay_messages")) {
        stored.insert(row.front());
        ++rows;
    }
    EXPECT_EQ(rows, stored.size());
    EXPECT_EQ(stored, acked);
}

}  // namespace
}  // namespace relay::testing
