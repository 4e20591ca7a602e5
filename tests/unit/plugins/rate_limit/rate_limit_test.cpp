// The rate_limit processor: the token bucket's arithmetic, the bounded table of
// buckets, the decision over the three kinds, and its settings (error text pinned).
#include "plugins/rate_limit/bucket_table.hpp"
#include "plugins/rate_limit/rate_limiter.hpp"
#include "plugins/rate_limit/settings.hpp"

#include <relay/sdk/testing/test_context.hpp>
#include <relay/sdk/token_bucket.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::rate_limit {
namespace {

using namespace std::chrono_literals;
using sdk::testing::TestConfig;
using sdk::testing::TestMetrics;

const Clock::time_point kStart = Clock::time_point(1h);

TEST(TokenBucket, StartsFullSpendsItsBurstThenRefillsAtTheRate) {
    const sdk::TokenRate rate{10, 3};  // 10 a second, 3 saved up
    sdk::TokenBucket bucket(rate, kStart);
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    // Empty: the next token comes in a tenth of a second.
    EXPECT_EQ(bucket.take(rate, kStart), std::chrono::duration_cast<Clock::duration>(100ms));
    EXPECT_EQ(bucket.take(rate, kStart + 40ms), std::chrono::duration_cast<Clock::duration>(60ms));
    EXPECT_EQ(bucket.take(rate, kStart + 100ms), Clock::duration::zero());
    // Never more than the burst, however long it was idle.
    EXPECT_TRUE(bucket.full_at(rate, kStart + 1h));
    EXPECT_FALSE(bucket.full_at(rate, kStart + 100ms));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(rate, kStart + 1h), Clock::duration::zero());
    EXPECT_GT(bucket.take(rate, kStart + 1h), Clock::duration::zero());
}

TEST(TokenBucket, GiveBackReturnsATokenButNeverPastTheBurst) {
    const sdk::TokenRate rate{1, 1};
    sdk::TokenBucket bucket(rate, kStart);
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    EXPECT_GT(bucket.take(rate, kStart), Clock::duration::zero());
    bucket.give_back(rate);
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    bucket.give_back(rate);
    bucket.give_back(rate);  // capped at the burst of 1
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    EXPECT_GT(bucket.take(rate, kStart), Clock::duration::zero());
}

TEST(TokenBucket, AnOlderClockReadingAddsNothing) {
    const sdk::TokenRate rate{1, 1};
    sdk::TokenBucket bucket(rate, kStart);
    EXPECT_EQ(bucket.take(rate, kStart), Clock::duration::zero());
    EXPECT_GT(bucket.take(rate, kStart - 10s), Clock::duration::zero());
}

TEST(BucketTable, KeepsOneBucketPerKey) {
    BucketTable table({1, 2}, 100);
    EXPECT_EQ(table.take("a", kStart), Clock::duration::zero());
    EXPECT_EQ(table.take("a", kStart), Clock::duration::zero());
    EXPECT_GT(table.take("a", kStart), Clock::duration::zero());
    EXPECT_EQ(table.take("b", kStart), Clock::duration::zero());  // b has its own
    EXPECT_EQ(table.size(), 2u);
}

TEST(BucketTable, ForgetsRefilledBucketsFirstAndNeverHoldsMoreThanItsBound) {
    BucketTable table({1, 1}, 3, 1);
    EXPECT_EQ(table.take("a", kStart), Clock::duration::zero());
    EXPECT_EQ(table.take("b", kStart), Clock::duration::zero());
    EXPECT_EQ(table.take("c", kStart + 2s), Clock::duration::zero());
    // At kStart + 2s, a and b have refilled: a new key forgets them, not c.
    EXPECT_EQ(table.take("d", kStart + 2s), Clock::duration::zero());
    EXPECT_EQ(table.size(), 2u);
    EXPECT_GT(table.take("c", kStart + 2s), Clock::duration::zero());  // c still empty
    // Many new keys at one instant: the bound holds; the least recent go.
    for (int i = 0; i < 100; ++i) table.take("k" + std::to_string(i), kStart + 2s);
    EXPECT_EQ(table.size(), 3u);
}

TEST(BucketTable, TheBoundIsSplitOverShardsExactly) {
    BucketTable table({1, 1}, 10, 64);  // fewer keys than shards: 10 shards of 1
    for (int i = 0; i < 1000; ++i) table.take("key" + std::to_string(i), kStart);
    EXPECT_LE(table.size(), 10u);
    EXPECT_GE(table.size(), 1u);
}

TEST(BucketTable, HoldsConcurrentTakersToTheBurst) {
    // Four threads draining one key at one instant: exactly the burst gets through.
    BucketTable table({1, 1000}, 100);
    std::atomic<int> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                if (table.take("shared", kStart) == Clock::duration::zero()) ++granted;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(granted.load(), 1000);
}

Settings three_kinds() {
    Settings s;
    s.per_connection = {1, 2};
    s.per_user = {1, 3};
    s.per_address = {1, 4};
    return s;
}

TEST(RateLimiter, RejectsWithRateLimitedAndTheTimeUntilTheNextToken) {
    TestMetrics metrics;
    Settings s;
    s.per_connection = {4, 2};
    RateLimiter limiter(s, metrics);
    EXPECT_TRUE(limiter.decide("sid", "ann", "10.0.0.1", kStart).pass);
    EXPECT_TRUE(limiter.decide("sid", "ann", "10.0.0.1", kStart).pass);
    const auto verdict = limiter.decide("sid", "ann", "10.0.0.1", kStart + 10ms);
    EXPECT_FALSE(verdict.pass);
    EXPECT_EQ(verdict.reason, "rate limited");
    EXPECT_EQ(verdict.retry_after, 240ms);  // a quarter second per token, 10ms gone
    EXPECT_EQ(metrics.counter_value(R"(rate_limit_rejected_total{kind="connection"})"), 1u);
    EXPECT_FALSE(metrics.counter_value(R"(rate_limit_rejected_total{kind="user"})"));
    // Another connection has its own bucket.
    EXPECT_TRUE(limiter.decide("sid2", "ann", "10.0.0.1", kStart).pass);
    EXPECT_TRUE(limiter.decide("sid", "ann", "10.0.0.1", kStart + 250ms).pass);
}

TEST(RateLimiter, RetryAfterIsRoundedUpToWholeMilliseconds) {
    TestMetrics metrics;
    Settings s;
    s.per_connection = {3, 1};
    RateLimiter limiter(s, metrics);
    EXPECT_TRUE(limiter.decide("sid", "", "", kStart).pass);
    EXPECT_EQ(limiter.decide("sid", "", "", kStart).retry_after, 334ms);
}

TEST(RateLimiter, AUserAcrossConnectionsAndAnAddressAcrossUsersShareABucket) {
    TestMetrics metrics;
    RateLimiter limiter(three_kinds(), metrics);
    // ann: 3 messages over three connections, then her bucket is empty.
    EXPECT_TRUE(limiter.decide("c1", "ann", "10.0.0.1", kStart).pass);
    EXPECT_TRUE(limiter.decide("c2", "ann", "10.0.0.1", kStart).pass);
    EXPECT_TRUE(limiter.decide("c3", "ann", "10.0.0.1", kStart).pass);
    const auto by_user = limiter.decide("c4", "ann", "10.0.0.1", kStart);
    EXPECT_FALSE(by_user.pass);
    EXPECT_EQ(metrics.counter_value(R"(rate_limit_rejected_total{kind="user"})"), 1u);
    // The address had 3 of its 4; bob takes the last, then the address is empty.
    EXPECT_TRUE(limiter.decide("c5", "bob", "10.0.0.1", kStart).pass);
    EXPECT_FALSE(limiter.decide("c6", "cat", "10.0.0.1", kStart).pass);
    EXPECT_EQ(metrics.counter_value(R"(rate_limit_rejected_total{kind="address"})"), 1u);
    // Another address is untouched.
    EXPECT_TRUE(limiter.decide("c7", "dan", "10.0.0.2", kStart).pass);
}

TEST(RateLimiter, ARejectedMessageCostsTheOtherBucketsNothing) {
    TestMetrics metrics;
    Settings s = three_kinds();
    s.per_address = {1, 1};
    RateLimiter limiter(s, metrics);
    EXPECT_TRUE(limiter.decide("c1", "ann", "10.0.0.1", kStart).pass);
    // Refused by the address: c1's and ann's tokens are given back.
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.decide("c1", "ann", "10.0.0.1", kStart).pass);
    // From another address, c1 and ann still have what they had: c1 1 of 2, ann 2 of 3.
    EXPECT_TRUE(limiter.decide("c1", "ann", "10.0.0.2", kStart).pass);
    EXPECT_FALSE(limiter.decide("c1", "ann", "10.0.0.3", kStart).pass);  // c1 empty now
    EXPECT_TRUE(limiter.decide("c9", "ann", "10.0.0.4", kStart).pass);   // ann's third
    EXPECT_FALSE(limiter.decide("c8", "ann", "10.0.0.5", kStart).pass);
}

TEST(RateLimiter, MessagesWithoutAUserOrAddressSkipThoseBuckets) {
    TestMetrics metrics;
    Settings s = three_kinds();
    s.per_connection = {};
    RateLimiter limiter(s, metrics);
    for (int i = 0; i < 10; ++i)
        EXPECT_TRUE(limiter.decide("c" + std::to_string(i), "", "", kStart).pass);
}

TEST(RateLimiter, ProcessAnswersInlineAndReadsTheMessagesKeys) {
    TestMetrics metrics;
    Settings s;
    s.per_connection = {};
    s.per_address = {1, 1};
    RateLimiter limiter(s, metrics);
    sdk::Message msg;
    msg.sender = "sid";
    msg.remote_address = "192.0.2.7";
    std::vector<sdk::Verdict> verdicts;
    limiter.process(msg, [&](sdk::Verdict v) { verdicts.push_back(std::move(v)); });
    limiter.process(msg, [&](sdk::Verdict v) { verdicts.push_back(std::move(v)); });
    ASSERT_EQ(verdicts.size(), 2u);
    EXPECT_TRUE(verdicts[0].pass);
    EXPECT_FALSE(verdicts[1].pass);
    EXPECT_GT(verdicts[1].retry_after, 0ms);
}

TEST(RateLimitSettings, RatesReadAsPerSecondOrOff) {
    EXPECT_EQ(parse_rate("20/s"), 20.0);
    EXPECT_EQ(parse_rate("600/m"), 10.0);
    EXPECT_EQ(parse_rate("7200/h"), 2.0);
    EXPECT_EQ(parse_rate("0.5/s"), 0.5);
    EXPECT_EQ(parse_rate("off"), 0.0);
    EXPECT_EQ(parse_rate("0"), 0.0);
    EXPECT_FALSE(parse_rate("20"));
    EXPECT_FALSE(parse_rate("20/d"));
    EXPECT_FALSE(parse_rate("/s"));
    EXPECT_FALSE(parse_rate("-1/s"));
    EXPECT_FALSE(parse_rate("twenty/s"));
    EXPECT_FALSE(parse_rate("20 /s"));
}

TEST(RateLimitSettings, DefaultsComeFromTheSchema) {
    const Settings s = parse_settings(TestConfig(schema(), "processors[0]"));
    EXPECT_EQ(s.per_connection.per_second, 20);
    EXPECT_EQ(s.per_connection.burst, 40);
    EXPECT_FALSE(s.per_user.on());
    EXPECT_EQ(s.per_user.burst, 80);
    EXPECT_FALSE(s.per_address.on());
    EXPECT_EQ(s.per_address.burst, 200);
    EXPECT_EQ(s.max_tracked_keys, 100000u);
    // The plain struct's defaults say the same as the schema's.
    const Settings plain;
    EXPECT_EQ(plain.per_connection.per_second, s.per_connection.per_second);
    EXPECT_EQ(plain.per_connection.burst, s.per_connection.burst);
    EXPECT_EQ(plain.per_user.burst, s.per_user.burst);
    EXPECT_EQ(plain.per_address.burst, s.per_address.burst);
    EXPECT_EQ(plain.max_tracked_keys, s.max_tracked_keys);
}

TEST(RateLimitSettings, BadRatesAreProblemsNamingTheKey) {
    auto config = TestConfig(schema(), "processors[0]")
                      .set_string("per_user", "lots")
                      .set_string("per_address", "5/week");
    const auto problems = check(config);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].key, "per_user");
    EXPECT_EQ(problems[0].message, "expected a rate like 20/s, 600/m, 1000/h or off, got \"lots\"");
    EXPECT_EQ(problems[1].key, "per_address");
    try {
        parse_settings(config);
        FAIL() << "no error";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: processors[0].per_user: expected a rate like 20/s, 600/m, "
                     "1000/h or off, got \"lots\"");
    }
    EXPECT_TRUE(check(TestConfig(schema(), "processors[0]").set_string("per_user", "5/m")).empty());
}

TEST(RateLimitSettings, ABurstBelowOneIsAnError) {
    try {
        parse_settings(
            TestConfig(schema(), "processors[0]").set_integer("per_connection_burst", 0));
        FAIL() << "no error";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: processors[0].per_connection_burst: expected a positive "
                     "integer, got 0");
    }
}

}  // namespace
}  // namespace relay::plugins::rate_limit
