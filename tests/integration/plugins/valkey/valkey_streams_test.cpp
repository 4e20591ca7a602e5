// The valkey_streams queue beyond the contract: a server killed and restarted under
// load (appendonly yes, appendfsync always) loses no acked message; two nodes share
// the store group and both broadcast everything; a dead consumer's pending entries
// are claimed by another node.
#include "support/wait.hpp"
#include "valkey_plugins.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/queue.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing::valkey {
namespace {

using sdk::Message;
using sdk::testing::Collector;
using sdk::testing::TestContext;

/// A store that keeps the ids it was given (committing them at once), or holds them.
class RecordingStore {
public:
    sdk::StoreHandler handler() {
        return [this](std::vector<Message> batch, sdk::Done commit) {
            {
                std::lock_guard lock(mutex_);
                if (hold_) {
                    held_ += batch.size();
                } else {
                    for (const auto& m : batch) ids_.insert(m.id);
                    deliveries_ += batch.size();
                }
            }
            if (!hold_) commit({});
            // Held: never committed (the node "dies" with the batch).
        };
    }
    void hold() { hold_ = true; }
    std::set<std::string> ids() const {
        std::lock_guard lock(mutex_);
        return ids_;
    }
    std::size_t deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }
    std::size_t held() const {
        std::lock_guard lock(mutex_);
        return held_;
    }

private:
    mutable std::mutex mutex_;
    std::set<std::string> ids_;
    std::size_t deliveries_ = 0;
    std::size_t held_ = 0;
    std::atomic<bool> hold_{false};
};

class QueueNode {
public:
    QueueNode(const std::string& node_id, const std::string& url, const std::string& stream)
        : ctx_(queue_manifest().schema, "queue", node_id) {
        ctx_.settings()
            .set_string("url", url)
            .set_string("stream", stream)
            .set_integer("partitions", 3)
            .set_duration("block", 200ms)
            .set_duration("store_retry_delay", 20ms)
            .set_duration("backlog_interval", 50ms)
            .set_duration("connect_timeout", 1s)
            .set_duration("command_timeout", 1s)
            .set_duration("reconnect_delay", 50ms)
            .set_duration("reconnect_delay_max", 200ms);
    }
    ~QueueNode() {
        if (queue_ && !abandoned_) {
            wait_done(ctx_, [&](sdk::Done d) { queue_->stop(std::move(d)); });
        }
        queue_.reset();
    }
    sdk::testing::TestConfig& settings() { return ctx_.settings(); }
    TestContext& ctx() { return ctx_; }

    std::error_code start(bool broadcast, RecordingStore* store) {
        queue_ = make_queue(ctx_);
        if (broadcast) {
            queue_->subscribe_broadcast([seen = seen_](const Message& m) { seen->add(m.id); });
        }
        if (store) queue_->subscribe_store(store->handler());
        return wait_done(ctx_, [&](sdk::Done d) { queue_->start(std::move(d)); });
    }
    sdk::Queue& queue() { return *queue_; }
    const std::shared_ptr<Collector<std::string>>& seen() const { return seen_; }
    void abandon() {
        abandoned_ = true;
        queue_.reset();
    }

private:
    TestContext ctx_;
    std::unique_ptr<sdk::Queue> queue_;
    std::shared_ptr<Collector<std::string>> seen_ = std::make_shared<Collector<std::string>>();
    bool abandoned_ = false;
};

Message message(const std::string& id, const std::string& room) {
    Message m;
    m.id = id;
    m.room = room;
    m.sender = "sid";
    m.user = "u";
    m.ts_ms = 1700000000000;
    m.payload_json = "{\"id\":\"" + id + "\"}";
    return m;
}

std::string stream_name() {
    return "test:" + sdk::testing::unique_token() + ":chats";
}

TEST(ValkeyStreams, AServerKilledAndRestartedUnderLoadLosesNoAckedMessage) {
    ValkeyServer server({.appendonly = true, .appendfsync = "always"});
    RecordingStore store;
    QueueNode node("node-a", server.url(), stream_name());
    ASSERT_FALSE(node.start(false, &store));

    constexpr int kWindow = 64;  // publishes awaiting their ack
    std::mutex mutex;
    std::set<std::string> acked;
    std::set<std::string> failed;
    std::atomic<int> outstanding{0};
    std::atomic<std::size_t> acked_count{0};
    std::atomic<std::size_t> failed_count{0};
    std::atomic<bool> quit{false};
    std::thread publisher([&] {
        for (int i = 0; !quit.load(); ++i) {
            while (outstanding.load() >= kWindow) std::this_thread::sleep_for(100us);
            ++outstanding;
            const std::string id = "m" + std::to_string(1000000 + i);
            node.queue().publish(message(id, "room-" + std::to_string(i % 7)),
                                 [&, id](std::error_code ec, std::string) {
                                     {
                                         std::lock_guard lock(mutex);
                                         (ec ? failed : acked).insert(id);
                                     }
                                     ++(ec ? failed_count : acked_count);
                                     --outstanding;
                                 });
            // While the server is away errors come at once: do not spin through ids.
            if (failed_count.load() > 0 && i % 16 == 0) std::this_thread::sleep_for(1ms);
        }
    });
    ASSERT_TRUE(eventually([&] { return acked_count.load() >= 1000; }));
    server.kill9();
    // The outage is seen (publishes fail), then the server comes back with its AOF.
    EXPECT_TRUE(eventually([&] { return failed_count.load() >= 50; }));
    server.restart();
    const std::size_t before = acked_count.load();
    EXPECT_TRUE(eventually([&] { return acked_count.load() >= before + 1000; }))
        << "publishing did not resume after the restart";
    quit = true;
    publisher.join();
    ASSERT_TRUE(eventually([&] { return outstanding.load() == 0; }));

    std::set<std::string> acked_ids, failed_ids;
    {
        std::lock_guard lock(mutex);
        acked_ids = acked;
        failed_ids = failed;
    }
    // Every acked message reaches the store, after the restart too.
    ASSERT_TRUE(eventually(
        [&] {
            const auto stored = store.ids();
            return std::includes(stored.begin(), stored.end(), acked_ids.begin(), acked_ids.end());
        },
        30s))
        << "acked messages missing from the store";
    // What the store has beyond the acked ones can only be publishes whose answer was
    // lost with the server (error-acked, yet written): never anything never sent.
    const auto stored = store.ids();
    std::size_t extra = 0;
    for (const auto& id : stored) {
        if (acked_ids.count(id)) continue;
        ++extra;
        EXPECT_TRUE(failed_ids.count(id)) << id << " stored but never published";
    }
    std::printf(
        "[valkey streams] %zu acked, %zu error-acked (%zu of them stored anyway), "
        "%zu stored\n",
        acked_ids.size(), failed_ids.size(), extra, stored.size());
}

TEST(ValkeyStreams, TwoNodesBroadcastEverythingAndShareTheStoreGroup) {
    const std::string stream = stream_name();
    RecordingStore store_a, store_b;
    QueueNode a("node-a", shared_server().url(), stream);
    QueueNode b("node-b", shared_server().url(), stream);
    ASSERT_FALSE(a.start(true, &store_a));
    ASSERT_FALSE(b.start(true, &store_b));

    constexpr int kMessages = 300;
    Collector<std::error_code> acks;
    std::set<std::string> sent;
    for (int i = 0; i < kMessages; ++i) {
        const std::string id = "n" + std::to_string(1000 + i);
        sent.insert(id);
        auto& node = i % 2 == 0 ? a : b;
        node.queue().publish(message(id, "room-" + std::to_string(i % 5)),
                             [&acks](std::error_code ec, std::string) { acks.add(ec); });
    }
    ASSERT_TRUE(acks.wait_for_size(kMessages));
    for (const auto& ec : acks.snapshot()) EXPECT_FALSE(ec) << ec.message();
    ASSERT_TRUE(a.seen()->wait_for_size(kMessages));
    ASSERT_TRUE(b.seen()->wait_for_size(kMessages));
    auto seen_a = a.seen()->snapshot();
    auto seen_b = b.seen()->snapshot();
    EXPECT_EQ(std::set<std::string>(seen_a.begin(), seen_a.end()), sent);
    EXPECT_EQ(std::set<std::string>(seen_b.begin(), seen_b.end()), sent);
    EXPECT_EQ(seen_a.size(), static_cast<std::size_t>(kMessages)) << "a duplicate broadcast";

    ASSERT_TRUE(eventually([&] {
        auto ids = store_a.ids();
        const auto more = store_b.ids();
        ids.insert(more.begin(), more.end());
        return ids == sent;
    }));
    // One group: each message went to one of the two stores.
    EXPECT_EQ(store_a.deliveries() + store_b.deliveries(), static_cast<std::size_t>(kMessages));
}

TEST(ValkeyStreams, EntriesADeadConsumerLeftPendingAreClaimed) {
    const std::string stream = stream_name();
    RecordingStore dead_store, live_store;
    dead_store.hold();
    QueueNode dead("node-dead", shared_server().url(), stream);
    ASSERT_FALSE(dead.start(false, &dead_store));
    std::set<std::string> sent;
    Collector<std::error_code> acks;
    for (int i = 0; i < 20; ++i) {
        const std::string id = "c" + std::to_string(100 + i);
        sent.insert(id);
        dead.queue().publish(message(id, "room"),
                             [&acks](std::error_code ec, std::string) { acks.add(ec); });
    }
    ASSERT_TRUE(acks.wait_for_size(20));
    // The doomed consumer reads the entries (they are pending on it), then dies.
    ASSERT_TRUE(eventually([&] { return dead_store.held() > 0; }));
    dead.abandon();

    QueueNode live("node-live", shared_server().url(), stream);
    live.settings().set_duration("claim_idle", 500ms);
    ASSERT_FALSE(live.start(false, &live_store));
    ASSERT_TRUE(eventually([&] { return live_store.ids() == sent; }))
        << "the dead consumer's entries were not claimed";
}

}  // namespace
}  // namespace relay::testing::valkey
