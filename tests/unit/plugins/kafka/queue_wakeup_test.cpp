// A librdkafka queue served on an executor without a poll thread (QueueWakeup): a
// delivery report reaches the executor's thread by itself, and after detach() nothing
// is served there any more, the executor's wait ends, and the owner polls again.
#include "plugins/kafka/queue_wakeup.hpp"
#include "plugins/kafka/kafka_client.hpp"

#include <relay/sdk/asio.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>

namespace relay::plugins::kafka {
namespace {

using namespace std::chrono_literals;

struct Reports {
    std::atomic<int> count{0};
    std::thread::id thread;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

/// A producer whose brokers refuse every connection: each message fails its delivery
/// after 200 ms, which puts a report on the main queue.
HandlePtr unreachable_producer(Reports& reports) {
    ConfPtr conf(rd_kafka_conf_new());
    set_property(conf.get(), "bootstrap.servers", "127.0.0.1:1");
    set_property(conf.get(), "message.timeout.ms", "200");
    set_property(conf.get(), "log_level", "0");
    rd_kafka_conf_set_opaque(conf.get(), &reports);
    rd_kafka_conf_set_dr_msg_cb(conf.get(),
                                [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
                                    auto& r = *static_cast<Reports*>(opaque);
                                    r.thread = std::this_thread::get_id();
                                    r.err = m->err;
                                    r.count.fetch_add(1);
                                });
    std::array<char, 512> errstr{};
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr.data(), errstr.size());
    if (rk == nullptr) ADD_FAILURE() << errstr.data();
    (void)conf.release();
    return HandlePtr(rk);
}

void produce_one(rd_kafka_t* rk) {
    static constexpr char kValue[] = "hello";
    // NOLINTBEGIN(cppcoreguidelines-pro-type-vararg,cppcoreguidelines-pro-type-const-cast)
    const auto err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("chats"),
                                       RD_KAFKA_V_VALUE(const_cast<char*>(kValue), 5),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    // NOLINTEND(cppcoreguidelines-pro-type-vararg,cppcoreguidelines-pro-type-const-cast)
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST(KafkaQueueWakeup, ADeliveryReportIsServedOnTheExecutorsThreadWithoutAPollThread) {
    Reports reports;
    HandlePtr rk = unreachable_producer(reports);
    QueuePtr queue(rd_kafka_queue_get_main(rk.get()));
    boost::asio::io_context io;
    int serves = 0;
    QueueWakeup wakeup(io.get_executor());
    ASSERT_TRUE(wakeup.attach(queue.get(), [&] {
        ++serves;
        while (rd_kafka_poll(rk.get(), 0) > 0) {
        }
        return false;
    }));
    produce_one(rk.get());

    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reports.count.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(100ms);
    }
    ASSERT_EQ(reports.count.load(), 1) << "the report never reached the executor";
    EXPECT_EQ(reports.thread, std::this_thread::get_id());
    EXPECT_EQ(reports.err, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
    // The first serve is the one attach() posts for what was queued before; then one
    // per signal, not one per poll interval.
    EXPECT_GE(serves, 2);
    EXPECT_LE(serves, 10);

    wakeup.detach();
    io.restart();
    io.run_for(5s);
    EXPECT_TRUE(io.stopped()) << "a wait on the eventfd outlived detach()";
}

TEST(KafkaQueueWakeup, AfterDetachNothingIsServedAndTheOwnerPollsAgain) {
    Reports reports;
    HandlePtr rk = unreachable_producer(reports);
    QueuePtr queue(rd_kafka_queue_get_main(rk.get()));
    boost::asio::io_context io;
    std::atomic<int> serves{0};
    QueueWakeup wakeup(io.get_executor());
    ASSERT_TRUE(wakeup.attach(queue.get(), [&] {
        serves.fetch_add(1);
        while (rd_kafka_poll(rk.get(), 0) > 0) {
        }
        return false;
    }));
    wakeup.detach();
    EXPECT_FALSE(wakeup.attached());
    produce_one(rk.get());
    std::this_thread::sleep_for(400ms);  // the report is queued by now

    io.run_for(5s);
    EXPECT_TRUE(io.stopped()) << "a wait on the eventfd outlived detach()";
    EXPECT_EQ(serves.load(), 0);
    EXPECT_EQ(reports.count.load(), 0);

    // The owner serves the queue itself again.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reports.count.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_poll(rk.get(), 100);
    }
    EXPECT_EQ(reports.count.load(), 1);
    EXPECT_EQ(reports.thread, std::this_thread::get_id());
}

}  // namespace
}  // namespace relay::plugins::kafka
