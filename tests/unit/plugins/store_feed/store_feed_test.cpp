// The hand-off rules every queue shares (plugins/common/store_feed): the queues' own
// tests and the QueueContract suite run it through each queue; these pin the rules.
#include "store_feed/store_feed.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::store_feed {
namespace {

using namespace std::chrono_literals;
using sdk::testing::Collector;
using sdk::testing::TestContext;

class StoreFeedTest : public ::testing::Test {
protected:
    /// Runs `work` on the executor and waits for it.
    template <class Work>
    auto run(Work work) {
        std::packaged_task<decltype(work())()> task(std::move(work));
        auto result = task.get_future();
        boost::asio::post(ctx_.executor(), [&task] { task(); });
        return result.get();
    }

    /// The feed with a store handler that keeps every batch's commit for the test.
    void make(std::size_t batches_in_flight, std::chrono::milliseconds retry_delay = 10ms) {
        run([&] {
            feed_ = StoreFeed::create(
                ctx_.executor(),
                [this](std::vector<sdk::Message> batch, sdk::Done commit) {
                    commits_.push_back(std::move(commit));
                    sizes_.add(batch.size());
                },
                {.batches_in_flight = batches_in_flight, .retry_delay = retry_delay},
                {.log = ctx_.log(),
                 .retries = ctx_.metrics().counter("retries_total", "failed commits")});
            feed_->on_resume([this] { resumed_.add(ready()); });
        });
    }

    void TearDown() override {
        run([&] {
            if (feed_) feed_->close();
            feed_.reset();
        });
    }

    bool ready() const { return feed_->ready(); }

    /// Hands a batch of `n` messages over; its outcome goes to outcomes_ as "name:ok"
    /// or "name:<error>", with whether it ran on the executor.
    void hand_over(const std::string& name, std::size_t n = 1) {
        run([&] {
            feed_->hand_over(std::vector<sdk::Message>(n), [this, name](std::error_code ec) {
                outcomes_.add(name + ":" + (ec ? ec.message() : "ok") +
                              (ctx_.on_executor() ? "" : " (off the executor)"));
            });
        });
    }

    /// The store commits the i-th batch (0-based) from a thread of its own.
    void commit(std::size_t i, std::error_code ec = {}) {
        sdk::Done done = run([&] { return commits_.at(i); });
        std::thread([done, ec] { done(ec); }).join();
    }

    /// Everything posted before now has run on the executor.
    void settle() {
        run([] {});
        run([] {});
    }

    TestContext ctx_;
    std::shared_ptr<StoreFeed> feed_;
    std::vector<sdk::Done> commits_;  // on the executor
    Collector<std::size_t> sizes_;
    Collector<std::string> outcomes_;
    Collector<bool> resumed_;  // ready() each time resume ran
};

TEST_F(StoreFeedTest, OneBatchInFlightUntilItsCommitComesBackOnTheExecutor) {
    make(1);
    EXPECT_TRUE(run([&] { return ready(); }));
    hand_over("a", 3);
    EXPECT_FALSE(run([&] { return ready(); })) << "a second batch while one is in flight";
    EXPECT_EQ(run([&] { return feed_->in_flight(); }), 1U);

    commit(0);
    ASSERT_TRUE(outcomes_.wait_for_size(1));
    EXPECT_EQ(outcomes_.snapshot(), std::vector<std::string>{"a:ok"});
    ASSERT_TRUE(resumed_.wait_for_size(1));
    EXPECT_TRUE(resumed_.snapshot().front()) << "resume ran before the feed was ready again";
    EXPECT_EQ(sizes_.snapshot(), std::vector<std::size_t>{3});
}

TEST_F(StoreFeedTest, OutcomesComeInHandOverOrderWhateverOrderTheStoreCommitsIn) {
    make(2);
    hand_over("a");
    hand_over("b");
    EXPECT_FALSE(run([&] { return ready(); }));
    commit(1);
    settle();
    EXPECT_EQ(outcomes_.size(), 0U) << "b counted before a, handed over before it, did";
    commit(0);
    ASSERT_TRUE(outcomes_.wait_for_size(2));
    EXPECT_EQ(outcomes_.snapshot(), (std::vector<std::string>{"a:ok", "b:ok"}));
}

TEST_F(StoreFeedTest, ASecondCommitOfABatchIsIgnored) {
    make(1);
    hand_over("a");
    commit(0);
    commit(0, sdk::make_error_code(sdk::Errc::unavailable));
    ASSERT_TRUE(outcomes_.wait_for_size(1));
    settle();
    EXPECT_EQ(outcomes_.snapshot(), std::vector<std::string>{"a:ok"});
    EXPECT_TRUE(run([&] { return ready(); })) << "a stale failure started a retry delay";
}

TEST_F(StoreFeedTest, AFailedCommitFailsEveryBatchInFlightAndIgnoresTheirLaterCommits) {
    make(2, 30ms);
    hand_over("a", 2);
    hand_over("b", 3);
    commit(1, sdk::make_error_code(sdk::Errc::unavailable));
    ASSERT_TRUE(outcomes_.wait_for_size(2));
    const std::string failed = sdk::make_error_code(sdk::Errc::unavailable).message();
    EXPECT_EQ(outcomes_.snapshot(), (std::vector<std::string>{"a:" + failed, "b:" + failed}));
    commit(0);  // stale: its messages go again anyway
    settle();
    EXPECT_EQ(outcomes_.size(), 2U);
    EXPECT_TRUE(ctx_.logger().contains("store commit failed (" + failed +
                                       "); redelivering 5 message(s) in 30ms"));
    EXPECT_EQ(ctx_.test_metrics().counter_value("retries_total"), 1U);
}

TEST_F(StoreFeedTest, NothingIsHandedOverUntilTheRetryDelayRanOut) {
    make(1, 1000ms);  // long enough that the checks below fall inside it
    hand_over("a");
    const auto failed_at = std::chrono::steady_clock::now();
    commit(0, sdk::make_error_code(sdk::Errc::unavailable));
    ASSERT_TRUE(outcomes_.wait_for_size(1));
    EXPECT_FALSE(run([&] { return ready(); })) << "ready during the retry delay";
    hand_over("too-early");
    EXPECT_EQ(sizes_.size(), 1U) << "a batch reached the store during the retry delay";

    ASSERT_TRUE(
        resumed_.wait_until([](const std::vector<bool>& r) { return !r.empty() && r.back(); }));
    EXPECT_GE(std::chrono::steady_clock::now() - failed_at, 1000ms);
    hand_over("again");
    EXPECT_EQ(sizes_.size(), 2U);
}

TEST_F(StoreFeedTest, AfterCloseCommitsAndTheRetryDelayReportNothing) {
    make(1, 20ms);
    hand_over("a");
    run([&] { feed_->close(); });
    commit(0);
    settle();
    EXPECT_EQ(outcomes_.size(), 0U) << "an outcome after close()";
    EXPECT_FALSE(run([&] { return ready(); }));

    make(1, 1000ms);
    hand_over("b");
    commit(1, sdk::make_error_code(sdk::Errc::unavailable));
    ASSERT_TRUE(outcomes_.wait_for_size(1));
    // Closed within the retry delay; counted on the executor, after the failure's report.
    const std::size_t resumes = run([&] {
        feed_->close();
        return resumed_.size();
    });
    resumed_.wait_for_change(resumes, 200ms);
    EXPECT_EQ(resumed_.size(), resumes) << "resume ran after close()";
}

}  // namespace
}  // namespace relay::plugins::store_feed
