// The kafka queue's own behaviour beyond the shared contract: topic checks at start,
// where the broadcast starts, recovery reads, stop. On the shared mock cluster (or
// RELAY_TEST_KAFKA_BROKERS), a fresh topic per test.
#include "kafka_test_support.hpp"
#include "plugins/kafka/kafka_client.hpp"

#include "flow/message_id.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using sdk::testing::Collector;
using sdk::testing::Probe;
using sdk::testing::TestContext;

class KafkaQueueTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (queue_) {
            Probe<std::error_code> stopped(ctx_);
            queue_->stop(stopped.callback());
            EXPECT_TRUE(stopped.wait()) << "stop() did not complete";
            queue_.reset();
        }
    }

    /// A fresh topic with `partitions`, configured.
    std::string use_topic(int partitions, const std::string& prefix = "queue") {
        topic_ = fresh_topic(cluster_, prefix, partitions);
        configure(ctx_.settings(), cluster_, topic_, partitions);
        return topic_;
    }

    KafkaQueue& make() {
        queue_ = make_queue(ctx_);
        return *queue_;
    }
    std::error_code start() {
        Probe<std::error_code> started(ctx_);
        queue_->start(started.callback());
        EXPECT_TRUE(started.wait()) << "start() did not complete";
        return started.done() ? started.get<0>() : make_error_code(sdk::Errc::timed_out);
    }
    void subscribe_broadcast() {
        queue_->subscribe_broadcast([this](const sdk::Message& msg) { broadcast_.add(msg); });
    }
    sdk::Message message(const std::string& room, int n) {
        sdk::Message msg;
        msg.id = token_ + "-" + std::to_string(1000 + n);
        msg.room = token_ + "-" + room;
        msg.sender = "sid";
        msg.user = "ann";
        msg.ts_ms = 1700000000000 + n;
        msg.payload_json = "{\"n\":" + std::to_string(n) + "}";
        return msg;
    }
    /// Publishes and waits: the error and position.
    std::pair<std::error_code, std::string> publish(sdk::Message msg) {
        Probe<std::error_code, std::string> acked(ctx_);
        queue_->publish(std::move(msg), acked.callback());
        EXPECT_TRUE(acked.wait()) << "publish() was never acknowledged";
        if (!acked.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {acked.get<0>(), acked.get<1>()};
    }
    std::pair<std::error_code, std::vector<sdk::Message>> read_after(const std::string& room,
                                                                     const std::string& after_id,
                                                                     std::size_t limit = 100) {
        Probe<std::error_code, std::vector<sdk::Message>> read(ctx_);
        queue_->read_after(room, after_id, limit, read.callback());
        EXPECT_TRUE(read.wait());
        EXPECT_TRUE(read.on_executor());
        if (!read.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {read.get<0>(), read.get<1>()};
    }

    relay::testing::MockKafka& cluster_ = shared_cluster();
    TestContext ctx_{schema(), "queue"};
    Collector<sdk::Message> broadcast_;  // outlives the queue's stop in TearDown
    std::unique_ptr<KafkaQueue> queue_;
    std::string token_ = sdk::testing::unique_token();
    std::string topic_;
};

TEST_F(KafkaQueueTest, AnExistingTopicWithFewerPartitionsIsReportedAndUsed) {
    if (!cluster_.is_mock()) {
        GTEST_FAIL() << "needs the mock cluster to make a topic with too few partitions; unset "
                        "RELAY_TEST_KAFKA_BROKERS";
    }
    const auto topic = use_topic(2);
    ctx_.settings().set_integer("partitions", 12);
    make();
    ASSERT_FALSE(start());
    EXPECT_TRUE(ctx_.logger().contains(
        "topic '" + topic +
        "' has 2 partition(s), fewer than queue.partitions (12); going on with 2. Add "
        "partitions with Kafka's tools while no node runs, or use a new queue.topic"));
    auto [ec, position] = publish(message("a", 1));
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(position == "0:0" || position == "1:0") << position;
}

TEST_F(KafkaQueueTest, AMissingTopicIsCreatedOrElseWarnedAboutAndAutoCreated) {
    // The mock has no CreateTopics: the plugin warns and goes on with the topic the
    // brokers auto-create. A real cluster creates it with the configured partitions.
    topic_ = "created-" + token_;
    configure(ctx_.settings(), cluster_, topic_, 5);
    ctx_.settings().set_integer("replication_factor", 7).set_duration("admin_timeout", 3s);
    make();
    subscribe_broadcast();
    ASSERT_FALSE(start());
    EXPECT_TRUE(ctx_.logger().contains("queue.replication_factor is 7 but the cluster has "));
    if (cluster_.is_mock()) {
        EXPECT_TRUE(ctx_.logger().contains("could not create topic '" + topic_ + "' ("))
            << "the mock does not implement CreateTopics";
        EXPECT_TRUE(ctx_.logger().contains(
            "); going on with the existing or auto-created topic. Create it with 5 partitions "
            "yourself, or set queue.create_topic: false"));
    } else {
        EXPECT_FALSE(ctx_.logger().contains("could not create topic"));
    }
    auto msg = message("a", 1);
    auto [ec, position] = publish(msg);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(broadcast_.wait_for_size(1));
    msg.position = position;
    EXPECT_EQ(broadcast_.snapshot()[0], msg);
}

TEST_F(KafkaQueueTest, TheBroadcastStartsAtTheEndOfTheLogOrAtItsBeginningWhenAsked) {
    const auto topic = use_topic(3);
    {
        TestContext earlier(schema(), "queue");
        configure(earlier.settings(), cluster_, topic, 3);
        auto writer = make_queue(earlier);
        Probe<std::error_code> started(earlier);
        writer->start(started.callback());
        ASSERT_TRUE(started.wait());
        for (int i = 0; i < 5; ++i) {
            Probe<std::error_code, std::string> acked(earlier);
            writer->publish(message("a", i), acked.callback());
            ASSERT_TRUE(acked.wait());
            ASSERT_FALSE(acked.get<0>());
        }
        Probe<std::error_code> stopped(earlier);
        writer->stop(stopped.callback());
        ASSERT_TRUE(stopped.wait());
    }
    make();
    subscribe_broadcast();
    ASSERT_FALSE(start());
    ASSERT_FALSE(publish(message("a", 5)).first);
    ASSERT_TRUE(broadcast_.wait_for_size(1));
    EXPECT_EQ(broadcast_.snapshot()[0].id, token_ + "-1005") << "read what was there before start";

    TestContext replay(schema(), "queue");
    configure(replay.settings(), cluster_, topic, 3);
    replay.settings().set_string("broadcast_start", "beginning");
    Collector<std::string> all;
    {
        auto reader = make_queue(replay);
        reader->subscribe_broadcast([&](const sdk::Message& msg) { all.add(msg.id); });
        Probe<std::error_code> started(replay);
        reader->start(started.callback());
        ASSERT_TRUE(started.wait());
        EXPECT_TRUE(all.wait_for_size(6));
        Probe<std::error_code> stopped(replay);
        reader->stop(stopped.callback());
        ASSERT_TRUE(stopped.wait());
    }
    std::vector<std::string> expected;
    for (int i = 0; i <= 5; ++i) expected.push_back(token_ + "-" + std::to_string(1000 + i));
    EXPECT_EQ(all.snapshot(), expected);
}

TEST_F(KafkaQueueTest, BinaryAttachmentsAndPayloadsSurviveTheLog) {
    use_topic(3);
    make();
    subscribe_broadcast();
    ASSERT_FALSE(start());
    auto msg = message("bin", 1);
    msg.payload_json = R"({"text":"caf\u00e9 \"quoted\"","list":[1,2,{"deep":null}]})";
    msg.attachments = {std::string("\x00\x01\x02\xff", 4), "plain"};
    auto [ec, position] = publish(msg);
    ASSERT_FALSE(ec);
    msg.position = position;
    ASSERT_TRUE(broadcast_.wait_for_size(1));
    EXPECT_EQ(broadcast_.snapshot()[0], msg);
}

/// A message as the host makes it: a ULID id that starts with its time.
sdk::Message host_message(const std::string& room, int n, std::int64_t ts_ms) {
    sdk::Message msg;
    msg.id = host::next_message_id(ts_ms);
    msg.room = room;
    msg.sender = "sid";
    msg.user = "ann";
    msg.ts_ms = ts_ms;
    msg.payload_json = "{\"n\":" + std::to_string(n) + "}";
    return msg;
}

/// A well-formed message id of time `ms` that nobody made.
std::string unused_id_at(std::int64_t ms) {
    static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::string id(10, '0');
    for (int i = 9; i >= 0; --i, ms >>= 5) id[static_cast<std::size_t>(i)] = kCrockford[ms & 31];
    return id + "ZZZZZZZZZZZZZZZZ";
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST_F(KafkaQueueTest, ReadAfterFindsTheMessageByIdAndServesTheRoomAfterIt) {
    use_topic(4);
    make();
    ASSERT_FALSE(start());
    const std::string room = token_ + "-a";
    const std::string other = token_ + "-b";
    std::vector<sdk::Message> room_a;
    std::vector<sdk::Message> room_b;
    for (int i = 0; i < 12; ++i) {
        auto msg = host_message(i % 4 == 3 ? other : room, i, now_ms());
        auto [ec, position] = publish(msg);
        ASSERT_FALSE(ec) << ec.message();
        msg.position = position;
        (msg.room == room ? room_a : room_b).push_back(msg);
    }
    ASSERT_EQ(room_a.size(), 9u);
    auto [ec, got] = read_after(room, room_a[2].id);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(got, std::vector<sdk::Message>(room_a.begin() + 3, room_a.end()));
    std::tie(ec, got) = read_after(room, room_a[2].id, 2);
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, std::vector<sdk::Message>(room_a.begin() + 3, room_a.begin() + 5));
    std::tie(ec, got) = read_after(room, room_a.back().id);
    EXPECT_FALSE(ec) << "the newest message: nothing after it";
    EXPECT_TRUE(got.empty());

    // What it cannot serve is an error, never an empty answer.
    std::tie(ec, got) = read_after(room, unused_id_at(now_ms()));
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found)) << "never published";
    EXPECT_EQ(ec.message(), "the message to read after is not in the room's Kafka partition");
    std::tie(ec, got) = read_after(room, unused_id_at(now_ms() - 3600000));
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found)) << "older than the log";
    std::tie(ec, got) = read_after(room, unused_id_at(now_ms() + 3600000));
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found)) << "newer than the log";
    std::tie(ec, got) = read_after(room, room_b[0].id);
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found)) << "another room's message";
    EXPECT_TRUE(got.empty());
    std::tie(ec, got) = read_after(room, "");
    EXPECT_EQ(ec, sdk::Errc::invalid_argument);
}

TEST_F(KafkaQueueTest, ReadAfterFindsIdsWithoutATimeFromTheBeginningOfThePartition) {
    use_topic(2);
    make();
    ASSERT_FALSE(start());
    std::vector<sdk::Message> sent;
    for (int i = 0; i < 5; ++i) {
        auto msg = message("a", i);  // ids "<token>-1000"…: no time in them
        auto [ec, position] = publish(msg);
        ASSERT_FALSE(ec);
        msg.position = position;
        sent.push_back(msg);
    }
    auto [ec, got] = read_after(token_ + "-a", sent[1].id);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(got, std::vector<sdk::Message>(sent.begin() + 2, sent.end()));
    std::tie(ec, got) = read_after(token_ + "-a", token_ + "-9999");
    EXPECT_EQ(ec, make_error_code(QueueErrc::message_not_found));
}

TEST_F(KafkaQueueTest, StartFailsClearlyWhenNoBrokerAnswers) {
    ctx_.settings()
        .set_string("brokers", "127.0.0.1:1")
        .set_string("topic", "nowhere")
        .set_duration("admin_timeout", 500ms);
    make();
    EXPECT_EQ(start(), sdk::Errc::unavailable);
    EXPECT_TRUE(ctx_.logger().contains(
        "cannot reach the Kafka cluster at 127.0.0.1:1 within queue.admin_timeout (500ms): "));
    auto [ec, position] = publish(message("a", 1));
    EXPECT_EQ(ec, sdk::Errc::unavailable);
}

TEST_F(KafkaQueueTest, DestroyingARunningQueueWithoutStopIsSafe) {
    use_topic(2);
    make();
    subscribe_broadcast();
    // A store that never commits: the queue must not wait for it when destroyed.
    queue_->subscribe_store([](std::vector<sdk::Message>, sdk::Done) {});
    ASSERT_FALSE(start());
    for (int i = 0; i < 20; ++i) {
        queue_->publish(message("a", i), [](std::error_code, std::string) {});
    }
    queue_.reset();  // no stop: returns promptly, nothing runs afterwards
    Probe<> settled(ctx_);
    boost::asio::post(ctx_.executor(), settled.callback());
    EXPECT_TRUE(settled.wait());
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
