#include <relay/sdk/testing/queue_contract.hpp>

#include "plugins/memory/memory_queue.hpp"
#include "plugins/memory/settings.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::memory {

using namespace std::chrono_literals;
using sdk::testing::Collector;
using sdk::testing::Probe;
using sdk::testing::TestConfig;
using sdk::testing::TestContext;

struct MemoryQueueTraits {
    static sdk::Schema schema() { return memory::schema(); }
    static std::unique_ptr<sdk::Queue> make(sdk::PluginContext& ctx) {
        return std::make_unique<MemoryQueue>(parse_settings(ctx.config()), ctx);
    }
    // The contract acks before the store commits (it holds the store to fill the
    // queue); the durable ack of the default is tested on its own below.
    static void set_up(TestConfig& config) {
        config.set_duration("store_retry_delay", 10ms).set_string("ack", "accepted");
    }
    static std::size_t configure_small(TestConfig& config) {
        config.set_integer("capacity", 8);
        return 8;
    }
};

}  // namespace relay::plugins::memory

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, QueueContract,
                               ::testing::Types<relay::plugins::memory::MemoryQueueTraits>);
}  // namespace relay::sdk::testing

namespace relay::plugins::memory {
namespace {

/// A store subscription the test commits by hand, batch by batch.
class ManualStore {
public:
    struct Batch {
        std::vector<sdk::Message> messages;
        sdk::Done commit;
    };
    sdk::StoreHandler handler() {
        return [this](std::vector<sdk::Message> messages, sdk::Done commit) {
            batches_.add(Batch{std::move(messages), std::move(commit)});
        };
    }
    /// Waits for the n-th batch (1-based).
    Batch batch(std::size_t n) {
        EXPECT_TRUE(batches_.wait_for_size(n)) << "batch " << n << " never came";
        auto all = batches_.snapshot();
        return n <= all.size() ? all[n - 1] : Batch{};
    }
    std::size_t count() const { return batches_.size(); }

private:
    Collector<Batch> batches_;
};

std::vector<std::string> ids(const std::vector<sdk::Message>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.id);
    return out;
}

class MemoryQueueTest : public ::testing::Test {
protected:
    // Batches go to the store at once unless a test says otherwise: the tests below
    // count them exactly. They ack on acceptance to drive the store by hand; the
    // durable acks of the default (`ack: stored`) have tests of their own.
    MemoryQueueTest() {
        ctx_.settings().set_duration("store_batch_delay", 0ms).set_string("ack", "accepted");
    }
    void TearDown() override {
        if (queue_) {
            Probe<std::error_code> stopped(ctx_);
            queue_->stop(stopped.callback());
            EXPECT_TRUE(stopped.wait());
        }
        queue_.reset();
    }

    sdk::Queue& make() {
        queue_ = std::make_unique<MemoryQueue>(parse_settings(ctx_.config()), ctx_);
        return *queue_;
    }
    void start() {
        Probe<std::error_code> started(ctx_);
        queue_->start(started.callback());
        ASSERT_TRUE(started.wait());
        ASSERT_FALSE(started.get<0>());
    }
    sdk::Message message(std::string room = "r") {
        sdk::Message msg;
        msg.id = "id-" + std::to_string(1000 + next_++);
        msg.room = std::move(room);
        msg.payload_json = "{}";
        return msg;
    }
    /// Publishes and waits; returns the error and position.
    std::pair<std::error_code, std::string> publish(sdk::Message msg) {
        Probe<std::error_code, std::string> acked(ctx_);
        queue_->publish(std::move(msg), acked.callback());
        EXPECT_TRUE(acked.wait());
        if (!acked.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {acked.get<0>(), acked.get<1>()};
    }
    std::pair<std::error_code, std::vector<sdk::Message>> read_after(std::string room,
                                                                     std::string after_id,
                                                                     std::size_t limit = 100) {
        Probe<std::error_code, std::vector<sdk::Message>> read(ctx_);
        queue_->read_after(room, after_id, limit, read.callback());
        EXPECT_TRUE(read.wait());
        EXPECT_TRUE(read.on_executor());
        if (!read.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {read.get<0>(), read.get<1>()};
    }
    /// Returns once everything posted to the executor before this call has run.
    void settle() {
        Probe<> ran(ctx_);
        boost::asio::post(ctx_.executor(), ran.callback());
        ASSERT_TRUE(ran.wait());
    }

    TestContext ctx_{schema(), "queue"};
    // Declared before the queue: they outlive its stop() in TearDown.
    ManualStore store_;
    Collector<std::string> broadcast_;
    std::unique_ptr<sdk::Queue> queue_;
    int next_ = 0;
};

TEST(MemorySettings, DefaultsComeFromTheSchema) {
    TestConfig config(schema(), "queue");
    const Settings settings = parse_settings(config);
    const Settings defaults;
    EXPECT_EQ(settings.capacity, defaults.capacity);
    EXPECT_EQ(settings.capacity, 100000U);
    EXPECT_EQ(settings.store.batch_max, 500U);
    EXPECT_EQ(settings.store_batch_delay, 2ms);
    EXPECT_EQ(settings.store.retry_delay, 200ms);
    EXPECT_EQ(settings.retain, 10000U);
    EXPECT_EQ(settings.ack, AckMode::stored);
    EXPECT_EQ(settings.max_bytes, defaults.max_bytes);
    EXPECT_EQ(settings.max_bytes, 64U * 1024 * 1024);
    EXPECT_EQ(settings.retain_bytes, 16U * 1024 * 1024);
}

TEST(MemorySettings, OutOfRangeValuesAreConfigErrors) {
    TestConfig config(schema(), "queue");
    config.set_integer("capacity", 0);
    try {
        parse_settings(config);
        ADD_FAILURE() << "capacity 0 was accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(), "test.yaml:1:1: queue.capacity: expected a positive integer, got 0");
    }
    config.unset("capacity").set_integer("retain", -1);
    try {
        parse_settings(config);
        ADD_FAILURE() << "retain -1 was accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.retain: expected a non-negative integer, got -1");
    }
    config.unset("retain").set_integer("retain", 0);
    EXPECT_EQ(parse_settings(config).retain, 0U);
}

TEST_F(MemoryQueueTest, PositionsAreIncreasingSequenceNumbers) {
    make();
    start();
    EXPECT_EQ(publish(message()).second, "1");
    EXPECT_EQ(publish(message("other")).second, "2");
    EXPECT_EQ(publish(message()).second, "3");
}

TEST_F(MemoryQueueTest, CapacityCountsUncommittedMessagesExactly) {
    ctx_.settings().set_integer("capacity", 3);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();

    EXPECT_FALSE(publish(message()).first);  // handed to the store at once: [1]
    EXPECT_FALSE(publish(message()).first);
    EXPECT_FALSE(publish(message()).first);
    auto [full, position] = publish(message());
    EXPECT_EQ(full, sdk::Errc::queue_full);
    EXPECT_EQ(full.message(), "queue is full");
    EXPECT_TRUE(position.empty());

    auto first = store.batch(1);
    auto second = store.batch(2);  // two batches in flight
    EXPECT_EQ(ids(first.messages), (std::vector<std::string>{"id-1000"}));
    EXPECT_EQ(ids(second.messages), (std::vector<std::string>{"id-1001"}));
    first.commit({});
    auto third = store.batch(3);  // comes after the commit was processed
    EXPECT_EQ(ids(third.messages), (std::vector<std::string>{"id-1002"}));
    EXPECT_FALSE(publish(message()).first);
    EXPECT_EQ(publish(message()).first, sdk::Errc::queue_full);
    EXPECT_EQ(ctx_.test_metrics().counter_value("memory_queue_full_total"), 2U);
    EXPECT_EQ(ctx_.test_metrics().gauge_value("memory_queue_uncommitted"), 3);
    second.commit({});
    auto fourth = store.batch(4);
    EXPECT_EQ(ids(fourth.messages), (std::vector<std::string>{"id-1004"}));
    third.commit({});
    fourth.commit({});
}

TEST_F(MemoryQueueTest, WithoutAStoreSubscriberMessagesCountAsCommittedOnceBroadcast) {
    ctx_.settings().set_integer("capacity", 2);
    auto& queue = make();
    queue.subscribe_broadcast([this](const sdk::Message& msg) { broadcast_.add(msg.id); });
    start();
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(publish(message()).first);
    EXPECT_TRUE(broadcast_.wait_for_size(10));  // broadcast follows the ack
}

TEST_F(MemoryQueueTest, TwoStoreBatchesInFlightOfAtMostStoreBatchMax) {
    ctx_.settings().set_integer("store_batch_max", 2);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(publish(message()).first);
    settle();
    EXPECT_EQ(store.count(), 2U) << "a third batch while two were not committed";
    std::vector<std::string> seen;
    for (std::size_t n = 1; seen.size() < 5; ++n) {
        auto batch = store.batch(n);
        ASSERT_FALSE(batch.messages.empty());
        EXPECT_LE(batch.messages.size(), 2U);
        for (const auto& id : ids(batch.messages)) seen.push_back(id);
        settle();
        EXPECT_LE(store.count(), n + 1) << "more than two batches in flight";
        batch.commit({});
    }
    EXPECT_EQ(seen,
              (std::vector<std::string>{"id-1000", "id-1001", "id-1002", "id-1003", "id-1004"}));
}

TEST_F(MemoryQueueTest, AFailedCommitRedeliversTheSameMessagesAfterTheRetryDelay) {
    ctx_.settings().set_duration("store_retry_delay", 50ms);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    EXPECT_FALSE(publish(message()).first);
    EXPECT_FALSE(publish(message()).first);

    auto first = store.batch(1);
    first.commit({});
    auto second = store.batch(2);
    const auto failed_at = std::chrono::steady_clock::now();
    second.commit(make_error_code(sdk::Errc::unavailable));
    second.commit({});  // a second call of one commit is ignored
    auto again = store.batch(3);
    EXPECT_GE(std::chrono::steady_clock::now() - failed_at, 50ms);
    EXPECT_EQ(again.messages, second.messages);
    EXPECT_EQ(ctx_.test_metrics().counter_value("memory_queue_store_retries_total"), 1U);
    EXPECT_TRUE(ctx_.logger().contains(
        "store commit failed (backend unavailable); redelivering 1 message(s) in 50ms"));
    again.commit({});
}

TEST_F(MemoryQueueTest, StopWaitsForTheStoreToCommit) {
    auto& queue = make();
    auto& store = store_;
    auto& broadcast = broadcast_;
    queue.subscribe_broadcast([this](const sdk::Message& msg) { broadcast_.add(msg.id); });
    queue.subscribe_store(store.handler());
    start();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(publish(message()).first);

    Probe<std::error_code> stopped(ctx_);
    queue.stop(stopped.callback());
    EXPECT_EQ(publish(message()).first, sdk::Errc::shutting_down);
    settle();
    EXPECT_FALSE(stopped.done()) << "stop completed with uncommitted messages";
    store.batch(1).commit({});
    store.batch(2).commit({});
    store.batch(3).commit({});
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.get<0>());
    EXPECT_EQ(broadcast.size(), 3U);  // all broadcast before stop completed
    queue_.reset();
}

TEST_F(MemoryQueueTest, AStoreBatchFillsForStoreBatchDelayUnlessFullOrStopping) {
    ctx_.settings().set_duration("store_batch_delay", 1s).set_integer("store_batch_max", 4);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    const auto first = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(publish(message()).first);
    auto lingered = store.batch(1);
    EXPECT_GE(std::chrono::steady_clock::now() - first, 1s) << "handed over before the delay";
    EXPECT_EQ(ids(lingered.messages), (std::vector<std::string>{"id-1000", "id-1001", "id-1002"}));
    lingered.commit({});
    // A full batch does not wait.
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(publish(message()).first);
    auto full = store.batch(2);
    EXPECT_EQ(full.messages.size(), 4U);
    full.commit({});
    // Stopping hands over a filling batch at once.
    EXPECT_FALSE(publish(message()).first);
    Probe<std::error_code> stopped(ctx_);
    const auto stop_at = std::chrono::steady_clock::now();
    queue.stop(stopped.callback());
    auto last = store.batch(3);
    EXPECT_LT(std::chrono::steady_clock::now() - stop_at, 900ms) << "a stop waited for the delay";
    EXPECT_EQ(ids(last.messages), (std::vector<std::string>{"id-1007"}));
    last.commit({});
    ASSERT_TRUE(stopped.wait());
    queue_.reset();
}

TEST_F(MemoryQueueTest, MessagesThatWaitedOutTheBatchDelayDuringACommitGoAtOnce) {
    ctx_.settings().set_duration("store_batch_delay", 500ms).set_integer("store_batch_max", 2);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(publish(message()).first);
    // Two full batches in flight; the fifth message waits for a commit, and is older
    // than the delay when the first commits: the next batch is due already, not 500ms
    // after the commit.
    auto first = store.batch(1);
    auto second = store.batch(2);
    std::this_thread::sleep_for(600ms);
    const auto committed_at = std::chrono::steady_clock::now();
    first.commit({});
    auto third = store.batch(3);
    EXPECT_LT(std::chrono::steady_clock::now() - committed_at, 400ms)
        << "the batch delay was counted from the previous commit";
    EXPECT_EQ(ids(third.messages), (std::vector<std::string>{"id-1004"}));
    second.commit({});
    third.commit({});
}

TEST_F(MemoryQueueTest, StopGivesUpAfterTheDrainTimeoutAndSaysHowManyWereLost) {
    ctx_.set_drain_timeout(50ms);
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    EXPECT_FALSE(publish(message()).first);
    EXPECT_FALSE(publish(message()).first);

    const auto begun = std::chrono::steady_clock::now();
    Probe<std::error_code> stopped(ctx_);
    queue.stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
    EXPECT_GE(std::chrono::steady_clock::now() - begun, 50ms);
    EXPECT_EQ(stopped.get<0>(), sdk::Errc::timed_out);
    EXPECT_TRUE(ctx_.logger().contains(
        "stopped with 2 message(s) not committed by the store within node.drain_timeout "
        "(50ms); increase node.drain_timeout"));
    // A late commit is ignored, and nothing more reaches the store (both messages
    // went, in two batches in flight).
    store.batch(1).commit({});
    settle();
    settle();
    EXPECT_EQ(store.count(), 2U);
    queue_.reset();
}

TEST_F(MemoryQueueTest, ReadAfterServesTheRetainedWindow) {
    ctx_.settings().set_integer("retain", 6);
    make();
    start();
    std::vector<sdk::Message> sent;  // sent[k] is at position k + 1
    for (int i = 1; i <= 10; ++i) {
        auto msg = message(i == 9 ? "b" : "a");
        auto [ec, position] = publish(msg);
        ASSERT_FALSE(ec);
        ASSERT_EQ(position, std::to_string(i));
        msg.position = position;
        sent.push_back(msg);
    }
    // Retained: positions 5..10; position 9 is room b's.
    auto [ec, got] = read_after("a", sent[5].id);
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, (std::vector<sdk::Message>{sent[6], sent[7], sent[9]}));
    std::tie(ec, got) = read_after("a", sent[4].id, 2);
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, (std::vector<sdk::Message>{sent[5], sent[6]}));
    std::tie(ec, got) = read_after("a", sent[9].id);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(got.empty());

    std::tie(ec, got) = read_after("a", sent[3].id);
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_retained)) << "no longer retained";
    EXPECT_EQ(ec.message(),
              "the message to read after is not among the retained ones (too old, or unknown); "
              "increase queue.retain");
    std::tie(ec, got) = read_after("a", sent[8].id);
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_retained)) << "another room's";
    std::tie(ec, got) = read_after("a", "never-published");
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_retained));
    std::tie(ec, got) = read_after("a", "");
    EXPECT_EQ(ec, sdk::Errc::invalid_argument);
}

TEST_F(MemoryQueueTest, WithAckStoredTheAckAndTheBroadcastWaitForTheStoresCommit) {
    ctx_.settings().set_string("ack", "stored");
    auto& queue = make();
    queue.subscribe_broadcast([this](const sdk::Message& msg) { broadcast_.add(msg.id); });
    queue.subscribe_store(store_.handler());
    start();
    Collector<std::string> acks;
    for (int i = 0; i < 4; ++i) {
        queue.publish(message(), [&acks](std::error_code ec, const std::string& position) {
            acks.add(ec ? "error " + ec.message() : position);
        });
    }
    // Two batches in flight; the rest waits for one of them to commit.
    auto first = store_.batch(1);
    auto second = store_.batch(2);
    ASSERT_EQ(ids(first.messages), (std::vector<std::string>{"id-1000"}));
    ASSERT_EQ(ids(second.messages), (std::vector<std::string>{"id-1001"}));
    settle();
    EXPECT_EQ(store_.count(), 2U) << "a third batch in flight";
    EXPECT_EQ(acks.size(), 0U) << "acked before the store committed";
    EXPECT_EQ(broadcast_.size(), 0U) << "broadcast before the store committed";
    // Committed out of order: the second waits for the first, so order holds.
    second.commit({});
    settle();
    EXPECT_EQ(acks.size(), 0U) << "acked before an earlier message was stored";
    EXPECT_EQ(broadcast_.size(), 0U) << "broadcast before an earlier message was stored";
    first.commit({});
    ASSERT_TRUE(acks.wait_for_size(2));
    EXPECT_EQ(acks.snapshot(), (std::vector<std::string>{"1", "2"}));
    ASSERT_TRUE(broadcast_.wait_for_size(2));  // right behind the acks, on the executor
    EXPECT_EQ(broadcast_.snapshot(), (std::vector<std::string>{"id-1000", "id-1001"}));

    // What arrived while the batches were in flight went together (group commit).
    auto third = store_.batch(3);
    EXPECT_EQ(ids(third.messages), (std::vector<std::string>{"id-1002", "id-1003"}));
    third.commit(make_error_code(sdk::Errc::unavailable));  // retried, not acked
    auto again = store_.batch(4);
    EXPECT_EQ(ids(again.messages), ids(third.messages));
    EXPECT_EQ(acks.size(), 2U) << "a failed commit acked";
    again.commit({});
    ASSERT_TRUE(acks.wait_for_size(4));
    EXPECT_EQ(acks.snapshot(), (std::vector<std::string>{"1", "2", "3", "4"}));
    ASSERT_TRUE(broadcast_.wait_for_size(4));
    EXPECT_EQ(broadcast_.snapshot(),
              (std::vector<std::string>{"id-1000", "id-1001", "id-1002", "id-1003"}));
}

TEST_F(MemoryQueueTest, AFailedBatchTakesTheLaterOneInFlightWithItAndIgnoresItsCommit) {
    ctx_.settings().set_duration("store_retry_delay", 10ms);
    auto& queue = make();
    queue.subscribe_store(store_.handler());
    start();
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(publish(message()).first);
    auto first = store_.batch(1);
    auto second = store_.batch(2);
    first.commit(make_error_code(sdk::Errc::unavailable));
    second.commit({});  // stale: its messages go again behind the first's
    auto again = store_.batch(3);
    EXPECT_EQ(ids(again.messages), (std::vector<std::string>{"id-1000", "id-1001"}));
    again.commit({});
    settle();
    EXPECT_EQ(store_.count(), 3U);
    EXPECT_EQ(ctx_.test_metrics().gauge_value("memory_queue_uncommitted"), 0);
}

TEST_F(MemoryQueueTest, WithAckStoredAStopThatGivesUpFailsTheWaitingAcks) {
    ctx_.settings().set_string("ack", "stored");
    ctx_.set_drain_timeout(50ms);
    auto& queue = make();
    queue.subscribe_store(store_.handler());
    start();
    Collector<std::error_code> acks;
    queue.publish(message(), [&acks](std::error_code ec, const std::string&) { acks.add(ec); });
    store_.batch(1);  // never committed
    Probe<std::error_code> stopped(ctx_);
    queue.stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
    ASSERT_TRUE(acks.wait_for_size(1)) << "a waiting ack was never answered";
    EXPECT_EQ(acks.snapshot().front(), sdk::Errc::timed_out);
    queue_.reset();
}

TEST_F(MemoryQueueTest, MaxBytesBoundsWhatWaitsForTheStore) {
    ctx_.settings().set_size("max_bytes", 4096);
    auto& queue = make();
    queue.subscribe_store(store_.handler());
    start();
    auto big = message();
    big.payload_json = R"({"t":")" + std::string(1500, 'x') + R"("})";
    EXPECT_FALSE(publish(big).first);
    big.id = "id-big-2";
    EXPECT_FALSE(publish(big).first);
    big.id = "id-big-3";
    EXPECT_EQ(publish(big).first, sdk::Errc::queue_full) << "a third 1.5 KB message fit in 4 KiB";
    EXPECT_FALSE(publish(message()).first) << "a small one still fits";
    store_.batch(1).commit({});
    store_.batch(2).commit({});
    big.id = "id-big-4";
    EXPECT_FALSE(publish(big).first) << "room again after the commits";
    store_.batch(3).commit({});
    store_.batch(4).commit({});
}

TEST_F(MemoryQueueTest, RetainBytesBoundsTheRecoveryWindow) {
    ctx_.settings().set_size("retain_bytes", 4096);
    make();
    start();
    std::vector<sdk::Message> sent;
    for (int i = 0; i < 5; ++i) {
        auto msg = message();
        msg.payload_json = R"({"t":")" + std::string(1000, 'x') + R"("})";
        ASSERT_FALSE(publish(msg).first);
        sent.push_back(msg);
    }
    EXPECT_EQ(read_after("r", sent[0].id).first, make_error_code(QueueErrc::message_not_retained));
    auto [ec, got] = read_after("r", sent[3].id);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(got.size(), 1U);
}

TEST_F(MemoryQueueTest, DestroyingWithoutStopIsSafe) {
    auto& queue = make();
    auto& store = store_;
    queue.subscribe_store(store.handler());
    start();
    EXPECT_FALSE(publish(message()).first);
    auto batch = store.batch(1);
    queue_.reset();
    batch.commit({});  // the queue is gone: ignored
    settle();
}

}  // namespace
}  // namespace relay::plugins::memory
