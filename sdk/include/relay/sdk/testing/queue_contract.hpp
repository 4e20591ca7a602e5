#pragma once
/// QueueContract<Traits>: the behaviour every sdk::Queue must show, as a typed gtest
/// suite. Instantiate it with a traits struct that knows how to build your queue:
///
///     struct MyQueueTraits {
///         static relay::sdk::Schema schema();                       // the plugin's schema
///         static std::unique_ptr<relay::sdk::Queue> make(relay::sdk::PluginContext&);
///         // Configures a small queue and returns its capacity: publishes beyond it
///         // (while the store subscription does not commit) fail with Errc::queue_full.
///         static std::size_t configure_small(relay::sdk::testing::TestConfig&);
///         // Optional: per-test setup (endpoints, fast retries) and cleanup.
///         static void set_up(relay::sdk::testing::TestConfig&);
///         static void tear_down(relay::sdk::testing::TestConfig&);
///     };
///     using Types = ::testing::Types<MyQueueTraits>;
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyQueue, QueueContract, Types);
///
/// Rooms and ids carry a per-test unique prefix and subscribers ignore other rooms, so
/// the suite also runs against a shared backend (a Kafka topic used by earlier runs).
/// A failed commit must lead to redelivery within the test deadline: configure a short
/// retry delay in set_up(). Every callback and handler must run on the plugin's
/// executor (PluginContext::executor()), never inline on the caller's thread nor on a
/// thread of the backend: a test where one does not fails, naming it.
#include <relay/sdk/testing/contract_fixture.hpp>

#include <relay/sdk/error.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/queue.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace relay::sdk::testing {

/// A stand-in for a store: receives the queue's store batches on the executor and
/// commits them from its own thread, or holds them until release().
class FakeStore {
public:
    explicit FakeStore(std::string room_prefix) : prefix_(std::move(room_prefix)) {
        worker_ = std::thread([this] { work(); });
    }
    ~FakeStore() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_all();
        worker_.join();
    }
    FakeStore(const FakeStore&) = delete;
    FakeStore& operator=(const FakeStore&) = delete;

    /// The handler to subscribe with.
    StoreHandler handler() {
        return [this](std::vector<Message> batch, Done commit) {
            if (!executor_check_ || !executor_check_()) off_executor_ = true;
            std::lock_guard lock(mutex_);
            batches_.fetch_add(1);
            pending_.push_back({std::move(batch), std::move(commit)});
            wake_.notify_all();
        };
    }
    /// Checked on every delivery: must return true on the queue's executor.
    void check_executor(std::function<bool()> check) { executor_check_ = std::move(check); }
    /// Holds batches (no commit) until release().
    void hold() {
        std::lock_guard lock(mutex_);
        holding_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            holding_ = false;
        }
        wake_.notify_all();
    }
    /// Commits the next `n` batches with `error` instead of success.
    void fail_next(std::size_t n, std::error_code error) {
        std::lock_guard lock(mutex_);
        failures_left_ = n;
        failure_ = error;
    }

    /// Ids of this test's rooms committed successfully, in commit order.
    const Collector<std::string>& committed() const { return committed_; }
    /// Ids of this test's rooms delivered (each delivery, retries included).
    const Collector<std::string>& delivered() const { return delivered_; }
    std::size_t batches() const { return batches_.load(); }
    bool off_executor() const { return off_executor_.load(); }

private:
    struct Pending {
        std::vector<Message> batch;
        Done commit;
    };

    void work() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return quit_ || (!holding_ && !pending_.empty()); });
            if (quit_) return;
            Pending next = std::move(pending_.front());
            pending_.pop_front();
            std::error_code result;
            if (failures_left_ > 0) {
                --failures_left_;
                result = failure_;
            }
            lock.unlock();
            for (const auto& msg : next.batch) {
                if (msg.room.rfind(prefix_, 0) != 0) continue;
                delivered_.add(msg.id);
                // Recorded before the queue hears of it, so that a stop() that waited
                // for the commits finds every committed id recorded.
                if (!result) committed_.add(msg.id);
            }
            next.commit(result);
            lock.lock();
        }
    }

    std::string prefix_;
    std::function<bool()> executor_check_;
    std::atomic<bool> off_executor_{false};
    std::atomic<std::size_t> batches_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Pending> pending_;
    bool holding_ = false;
    bool quit_ = false;
    std::size_t failures_left_ = 0;
    std::error_code failure_;
    Collector<std::string> delivered_;
    Collector<std::string> committed_;
    std::thread worker_;
};

template <class Traits>
class QueueContract : public ContractFixture<Traits> {
protected:
    using Base = ContractFixture<Traits>;
    using Base::ctx_;
    using Base::token_;
    using PublishProbe = Probe<std::error_code, std::string>;

    QueueContract() : Base("queue") {}

    void TearDown() override {
        if (queue_ && !stopped_) this->stop_at_end(*queue_);
        queue_.reset();
        store_.reset();
        Base::TearDown();
    }

    Queue& make() {
        queue_ = Traits::make(*ctx_);
        return *queue_;
    }

    ::testing::AssertionResult start() {
        return this->completes("start()", [this](Done done) { queue_->start(std::move(done)); });
    }

    ::testing::AssertionResult stop() {
        Probe<std::error_code> stopped(*ctx_);
        queue_->stop(stopped.callback());
        stopped_ = true;
        if (!stopped.wait()) return ::testing::AssertionFailure() << "stop() did not complete";
        if (!stopped.on_executor()) {
            return ::testing::AssertionFailure()
                   << "stop()'s callback ran off the plugin's executor";
        }
        if (stopped.calls() != 1) {
            return ::testing::AssertionFailure()
                   << "stop()'s callback ran " << stopped.calls() << " times";
        }
        return ::testing::AssertionSuccess();
    }

    /// A FakeStore subscribed to the queue (call before start()).
    FakeStore& subscribe_fake_store() {
        store_ = std::make_unique<FakeStore>(token_);
        store_->check_executor([ctx = ctx_.get()] { return ctx->on_executor(); });
        queue_->subscribe_store(this->checked("the store handler", store_->handler()));
        return *store_;
    }

    /// Subscribes a broadcast collector for this test's rooms (call before start()).
    std::shared_ptr<Collector<Message>> subscribe_collector() {
        auto collector = std::make_shared<Collector<Message>>();
        queue_->subscribe_broadcast(this->checked("the broadcast handler",
                                                  [collector, prefix = token_](const Message& msg) {
                                                      if (msg.room.rfind(prefix, 0) == 0)
                                                          collector->add(msg);
                                                  }));
        return collector;
    }

    /// A message of this test, with a fresh id that sorts after earlier ones.
    Message message(std::string_view room_name, std::string payload = "{\"text\":\"hi\"}",
                    std::string sender = "sid-1") {
        char counter[16];
        std::snprintf(counter, sizeof counter, "%08u", next_id_.fetch_add(1));
        Message msg;
        msg.id = token_ + "-" + counter;
        msg.room = this->room(room_name);
        msg.sender = std::move(sender);
        msg.user = "alice";
        msg.ts_ms = 1700000000000;
        msg.payload_json = std::move(payload);
        return msg;
    }

    /// Publishes and waits for the ack.
    PublishProbe publish_and_wait(Message msg) {
        PublishProbe acked(*ctx_);
        queue_->publish(std::move(msg), this->checked("publish()", acked.callback()));
        EXPECT_TRUE(acked.wait()) << "publish() was never acknowledged";
        return acked;
    }

    /// Publishes every message without waiting in between; the probes, in order, are
    /// not waited for.
    std::vector<PublishProbe> publish_all(const std::vector<Message>& messages) {
        std::vector<PublishProbe> acks;
        acks.reserve(messages.size());
        for (const auto& msg : messages) {
            acks.emplace_back(*ctx_);
            queue_->publish(msg, this->checked("publish()", acks.back().callback()));
        }
        return acks;
    }

    /// publish_all, then waits for every ack: fails if one never came or has an error.
    ::testing::AssertionResult publish_all_and_wait(const std::vector<Message>& messages) {
        auto acks = publish_all(messages);
        for (std::size_t i = 0; i < acks.size(); ++i) {
            if (!acks[i].wait()) {
                return ::testing::AssertionFailure() << "publish " << i << " was never acked";
            }
            if (auto ec = acks[i].template get<0>()) {
                return ::testing::AssertionFailure()
                       << "publish " << i << " failed: " << ec.message();
            }
        }
        return ::testing::AssertionSuccess();
    }

    static std::vector<std::string> ids_of(const std::vector<Message>& messages) {
        std::vector<std::string> ids;
        for (const auto& msg : messages) ids.push_back(msg.id);
        return ids;
    }

    std::unique_ptr<FakeStore> store_;
    std::unique_ptr<Queue> queue_;
    std::atomic<unsigned> next_id_{0};
    bool stopped_ = false;
};

TYPED_TEST_SUITE_P(QueueContract);

TYPED_TEST_P(QueueContract, PublishAcksOnceWithPositionOnTheExecutor) {
    this->make();
    auto broadcast = this->subscribe_collector();
    ASSERT_TRUE(this->start());

    std::vector<Message> sent;
    for (int i = 0; i < 3; ++i) {
        sent.push_back(this->message("a", "{\"n\":" + std::to_string(i) + "}"));
    }
    auto acks = this->publish_all(sent);
    std::set<std::string> positions;
    for (auto& ack : acks) {
        ASSERT_TRUE(ack.wait());
        EXPECT_FALSE(ack.template get<0>()) << ack.template get<0>().message();
        EXPECT_FALSE(ack.template get<1>().empty()) << "an ack without a position";
        positions.insert(ack.template get<1>());
        EXPECT_TRUE(ack.on_executor()) << "publish()'s callback ran off the plugin's executor";
    }
    EXPECT_EQ(positions.size(), 3u) << "positions must be distinct";

    ASSERT_TRUE(broadcast->wait_for_size(3));
    auto got = broadcast->snapshot();
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t i = 0; i < got.size(); ++i) {
        Message expected = sent[i];
        expected.position = acks[i].template get<1>();
        EXPECT_EQ(got[i], expected) << "broadcast " << i << " differs from what was published";
    }
    ASSERT_TRUE(this->stop());
    for (auto& ack : acks) EXPECT_EQ(ack.calls(), 1) << "an ack ran more than once";
}

TYPED_TEST_P(QueueContract, PerRoomOrderWithConcurrentPublishers) {
    auto& queue = this->make();
    auto broadcast = this->subscribe_collector();
    ASSERT_TRUE(this->start());

    constexpr int kThreads = 4;
    constexpr int kPerThread = 150;
    std::vector<Message> messages[kThreads];
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kPerThread; ++i) {
            // Two rooms, two senders per room; the payload says who and which.
            messages[t].push_back(this->message(t % 2 == 0 ? "even" : "odd",
                                                std::to_string(t) + ":" + std::to_string(i),
                                                "sid-" + std::to_string(t)));
        }
    }
    Collector<std::error_code> acks;
    // Thread t publishes messages[t] in order (call i is messages[i % kThreads][i / kThreads]).
    call_concurrently(kThreads, kThreads * kPerThread, [&](int i) {
        queue.publish(
            messages[i % kThreads][i / kThreads],
            this->checked("publish()", [&acks](std::error_code ec, std::string) { acks.add(ec); }));
    });
    ASSERT_TRUE(acks.wait_for_size(kThreads * kPerThread));
    for (const auto& ec : acks.snapshot()) EXPECT_FALSE(ec) << ec.message();

    ASSERT_TRUE(broadcast->wait_for_size(kThreads * kPerThread));
    std::map<std::string, int> last_seen;  // sender -> last index seen
    std::set<std::string> ids;
    for (const auto& msg : broadcast->snapshot()) {
        ids.insert(msg.id);
        const auto colon = msg.payload_json.find(':');
        const int t = std::stoi(msg.payload_json.substr(0, colon));
        const int i = std::stoi(msg.payload_json.substr(colon + 1));
        EXPECT_EQ(msg.room, this->room(t % 2 == 0 ? "even" : "odd"));
        auto [it, fresh] = last_seen.try_emplace(msg.sender, -1);
        EXPECT_EQ(i, it->second + 1) << "sender " << msg.sender << " out of order";
        it->second = i;
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread))
        << "a message was broadcast twice";
}

TYPED_TEST_P(QueueContract, EveryBroadcastSubscriberSeesEveryMessage) {
    this->make();
    auto first = this->subscribe_collector();
    auto second = this->subscribe_collector();
    ASSERT_TRUE(this->start());

    constexpr int kCount = 50;
    std::vector<Message> batch;
    std::vector<std::string> sent;
    for (int i = 0; i < kCount; ++i) {
        batch.push_back(this->message(i % 3 == 0 ? "x" : "y"));
        sent.push_back(batch.back().id);
    }
    ASSERT_TRUE(this->publish_all_and_wait(batch));
    ASSERT_TRUE(first->wait_for_size(kCount));
    ASSERT_TRUE(second->wait_for_size(kCount));
    auto ids_first = TestFixture::ids_of(first->snapshot());
    auto ids_second = TestFixture::ids_of(second->snapshot());
    EXPECT_EQ(ids_first, ids_second) << "subscribers saw different sequences";
    std::sort(ids_first.begin(), ids_first.end());
    EXPECT_EQ(ids_first, sent);
}

TYPED_TEST_P(QueueContract, StoreSubscriptionGetsEveryAcceptedMessage) {
    this->make();
    auto& store = this->subscribe_fake_store();
    ASSERT_TRUE(this->start());

    constexpr int kCount = 120;
    std::vector<Message> batch;
    std::set<std::string> sent;
    for (int i = 0; i < kCount; ++i) {
        batch.push_back(this->message(i % 2 == 0 ? "a" : "b"));
        sent.insert(batch.back().id);
    }
    ASSERT_TRUE(this->publish_all_and_wait(batch));
    ASSERT_TRUE(store.committed().wait_until([&](const std::vector<std::string>& ids) {
        return std::set<std::string>(ids.begin(), ids.end()) == sent;
    })) << "the store subscription missed messages";
    EXPECT_FALSE(store.off_executor()) << "the store handler ran off the executor";
}

TYPED_TEST_P(QueueContract, FailedCommitRedeliversTheBatch) {
    this->make();
    auto& store = this->subscribe_fake_store();
    store.fail_next(1, make_error_code(Errc::unavailable));
    ASSERT_TRUE(this->start());

    constexpr int kCount = 20;
    std::set<std::string> sent;
    for (int i = 0; i < kCount; ++i) {
        auto msg = this->message("a");
        sent.insert(msg.id);
        EXPECT_FALSE(this->publish_and_wait(std::move(msg)).template get<0>());
    }
    ASSERT_TRUE(store.committed().wait_until([&](const std::vector<std::string>& ids) {
        return std::set<std::string>(ids.begin(), ids.end()) == sent;
    })) << "messages of a failed commit were not delivered again";
    // The failed batch was delivered at least twice.
    auto delivered = store.delivered().snapshot();
    EXPECT_GT(delivered.size(), sent.size()) << "no message was delivered twice";
}

TYPED_TEST_P(QueueContract, SmallQueueRejectsWithQueueFullAndRecovers) {
    const std::size_t capacity = TypeParam::configure_small(this->ctx_->settings());
    this->make();
    auto& store = this->subscribe_fake_store();
    auto broadcast = this->subscribe_collector();
    store.hold();
    ASSERT_TRUE(this->start());

    const std::size_t burst = capacity * 4 + 16;
    std::vector<Message> messages;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < burst; ++i) {
        messages.push_back(this->message("a"));
        ids.push_back(messages.back().id);
    }
    auto acks = this->publish_all(messages);
    std::set<std::string> accepted;
    std::size_t full = 0;
    for (std::size_t i = 0; i < burst; ++i) {
        ASSERT_TRUE(acks[i].wait()) << "publish " << i << " was never acknowledged";
        const auto ec = acks[i].template get<0>();
        if (!ec) {
            accepted.insert(ids[i]);
        } else if (same_error(ec, Errc::queue_full)) {
            ++full;
        } else {
            ADD_FAILURE() << "unexpected publish error: " << ec.message();
        }
    }
    EXPECT_GT(full, 0u) << "a full queue must reject with Errc::queue_full";
    EXPECT_FALSE(accepted.empty());
    // Every accepted message is broadcast; no rejected one is.
    ASSERT_TRUE(broadcast->wait_for_size(accepted.size()));
    for (const auto& msg : broadcast->snapshot()) {
        EXPECT_TRUE(accepted.count(msg.id)) << "a rejected message was broadcast";
    }

    store.release();
    ASSERT_TRUE(store.committed().wait_until([&](const std::vector<std::string>& committed) {
        return std::set<std::string>(committed.begin(), committed.end()) == accepted;
    }));
    // Room again: publishing succeeds (a queue may need a moment to notice the commits).
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    std::error_code last;
    do {
        auto ack = this->publish_and_wait(this->message("a"));
        last = ack.template get<0>();
        if (!last || !same_error(last, Errc::queue_full)) break;
        store.committed().wait_for_change(store.committed().size(), std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_FALSE(last) << "the queue did not recover after commits: " << last.message();
}

TYPED_TEST_P(QueueContract, StopDrainsAcceptedMessages) {
    auto& queue = this->make();
    auto& store = this->subscribe_fake_store();
    auto broadcast = this->subscribe_collector();
    ASSERT_TRUE(this->start());

    constexpr int kCount = 200;
    std::atomic<int> order{0};
    std::vector<int> acked_at(kCount, -1);
    std::vector<std::error_code> results(kCount);
    std::vector<std::string> ids;
    for (int i = 0; i < kCount; ++i) {
        auto msg = this->message(i % 2 == 0 ? "a" : "b");
        ids.push_back(msg.id);
        queue.publish(std::move(msg),
                      this->checked("publish()", [&, i](std::error_code ec, std::string) {
                          results[i] = ec;
                          acked_at[i] = order.fetch_add(1);
                      }));
    }
    Probe<std::error_code> stopped(*this->ctx_);
    std::atomic<int> stopped_at{-1};
    std::atomic<std::size_t> broadcast_at_stop{0}, committed_at_stop{0};
    queue.stop(this->checked("stop()", [&, done = stopped.callback()](std::error_code ec) {
        stopped_at = order.fetch_add(1);
        broadcast_at_stop = broadcast->size();
        committed_at_stop = store.committed().size();
        done(ec);
    }));
    this->stopped_ = true;
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.template get<0>()) << stopped.template get<0>().message();
    for (int i = 0; i < kCount; ++i) {
        EXPECT_FALSE(results[i]) << "publish " << i << ": " << results[i].message();
        EXPECT_GE(acked_at[i], 0) << "publish " << i << " not acknowledged before stop completed";
        EXPECT_LT(acked_at[i], stopped_at.load()) << "ack after stop completed";
    }
    EXPECT_EQ(broadcast_at_stop.load(), static_cast<std::size_t>(kCount))
        << "stop completed before every accepted message was broadcast";
    EXPECT_GE(committed_at_stop.load(), static_cast<std::size_t>(kCount))
        << "stop completed before every accepted message was committed";
    auto committed = store.committed().snapshot();
    std::sort(committed.begin(), committed.end());
    committed.erase(std::unique(committed.begin(), committed.end()), committed.end());
    EXPECT_EQ(committed, ids) << "stop completed before every message was committed";
}

TYPED_TEST_P(QueueContract, PublishDuringStopIsRejectedWithShuttingDown) {
    auto& queue = this->make();
    ASSERT_TRUE(this->start());
    EXPECT_FALSE(this->publish_and_wait(this->message("a")).template get<0>());

    Probe<std::error_code> stopped(*this->ctx_);
    queue.stop(stopped.callback());
    this->stopped_ = true;
    typename TestFixture::PublishProbe late(*this->ctx_);
    queue.publish(this->message("a"), this->checked("publish()", late.callback()));
    ASSERT_TRUE(stopped.wait());
    ASSERT_TRUE(late.wait());
    EXPECT_TRUE(same_error(late.template get<0>(), Errc::shutting_down))
        << late.template get<0>().message();
    EXPECT_EQ(late.calls(), 1);
    EXPECT_TRUE(late.on_executor());
}

TYPED_TEST_P(QueueContract, ReadAfterReturnsTheRoomsLaterMessagesOldestFirst) {
    auto& queue = this->make();
    ASSERT_TRUE(this->start());

    std::vector<Message> room_a;
    for (int i = 0; i < 8; ++i) {
        auto msg = this->message(i % 3 == 2 ? "b" : "a", "{\"i\":" + std::to_string(i) + "}");
        auto ack = this->publish_and_wait(msg);
        ASSERT_FALSE(ack.template get<0>());
        msg.position = ack.template get<1>();
        if (msg.room == this->room("a")) room_a.push_back(msg);
    }
    ASSERT_EQ(room_a.size(), 6u);

    // After a message id (what a reconnecting Socket.IO client holds), not a position.
    // Not checked(): a queue without read_after() keeps Queue's default, which answers
    // not_supported inline, as queue.hpp says; any other answer must come on the executor.
    Probe<std::error_code, std::vector<Message>> read(*this->ctx_);
    queue.read_after(this->room("a"), room_a[1].id, 100, read.callback());
    ASSERT_TRUE(read.wait());
    if (same_error(read.template get<0>(), Errc::not_supported)) {
        GTEST_SKIP() << "read_after() is not supported by this queue";
    }
    EXPECT_TRUE(read.on_executor()) << "read_after()'s callback ran off the plugin's executor";
    ASSERT_FALSE(read.template get<0>()) << read.template get<0>().message();
    EXPECT_EQ(read.template get<1>(), std::vector<Message>(room_a.begin() + 2, room_a.end()));

    Probe<std::error_code, std::vector<Message>> limited(*this->ctx_);
    queue.read_after(this->room("a"), room_a[1].id, 2, limited.callback());
    ASSERT_TRUE(limited.wait());
    ASSERT_FALSE(limited.template get<0>());
    EXPECT_EQ(limited.template get<1>(),
              std::vector<Message>(room_a.begin() + 2, room_a.begin() + 4));
    EXPECT_TRUE(limited.on_executor());

    // A message the queue does not hold is an error, never an empty answer.
    Probe<std::error_code, std::vector<Message>> unknown(*this->ctx_);
    queue.read_after(this->room("a"), this->token_ + "-never-published", 100,
                     this->checked("read_after()", unknown.callback()));
    ASSERT_TRUE(unknown.wait());
    EXPECT_TRUE(unknown.template get<0>()) << "an unknown message id must fail";
    EXPECT_TRUE(unknown.template get<1>().empty());
}

REGISTER_TYPED_TEST_SUITE_P(QueueContract, PublishAcksOnceWithPositionOnTheExecutor,
                            PerRoomOrderWithConcurrentPublishers,
                            EveryBroadcastSubscriberSeesEveryMessage,
                            StoreSubscriptionGetsEveryAcceptedMessage,
                            FailedCommitRedeliversTheBatch,
                            SmallQueueRejectsWithQueueFullAndRecovers, StopDrainsAcceptedMessages,
                            PublishDuringStopIsRejectedWithShuttingDown,
                            ReadAfterReturnsTheRoomsLaterMessagesOldestFirst);

}  // namespace relay::sdk::testing
