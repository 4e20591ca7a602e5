// The kafka queue's log lines an operator acts on: the stop warning, and librdkafka's
// repeated lines folded into one per problem per window, with a count.
#include "plugins/kafka/log_text.hpp"
#include "plugins/kafka/repeat_filter.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace relay::plugins::kafka {
namespace {

using namespace std::chrono_literals;

TEST(KafkaLogText, TheDrainTimeoutWarningSaysWhatWasLeftBehind) {
    EXPECT_EQ(drain_timeout_warning(10s, 8, 0),
              "stopped when node.drain_timeout (10s) ran out, with 8 partition(s) not yet "
              "committed by the store (the store group reads them again later). Increase "
              "node.drain_timeout");
    EXPECT_EQ(drain_timeout_warning(1500ms, 0, 3),
              "stopped when node.drain_timeout (1500ms) ran out, with 3 partition(s) not yet "
              "broadcast to this node's clients. Increase node.drain_timeout");
    EXPECT_EQ(drain_timeout_warning(10s, 2, 1),
              "stopped when node.drain_timeout (10s) ran out, with 2 partition(s) not yet "
              "committed by the store (the store group reads them again later) and 1 "
              "partition(s) not yet broadcast to this node's clients. Increase "
              "node.drain_timeout");
}

TEST(KafkaLogText, RepeatedLibrdkafkaLinesPassOncePerWindowWithACount) {
    RepeatFilter filter(10s);
    const RepeatFilter::Clock::time_point t0{};
    const std::string refused =
        "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused";
    const auto key = RepeatFilter::key_of("FAIL", refused + " (after 0ms in state CONNECT)");
    // The same problem from another client, later in its retries, is the same key.
    EXPECT_EQ(key,
              RepeatFilter::key_of("FAIL", refused + " (after 12ms in state CONNECT, 4 identical "
                                                     "error(s) suppressed)"));
    EXPECT_NE(key, RepeatFilter::key_of("FAIL",
                                        "127.0.0.1:9093/2: Connect to ipv4#127.0.0.1:9093 "
                                        "failed: Connection refused"));

    EXPECT_EQ(filter.pass(key, "first", t0), "first");
    EXPECT_FALSE(filter.pass(key, "second", t0 + 1s));
    EXPECT_FALSE(filter.pass(key, "third", t0 + 9s));
    EXPECT_TRUE(filter.flush(t0 + 9s).empty()) << "the window is not over";
    // The window is over: what was held back is reported once, with its count.
    const auto lines = filter.flush(t0 + 10s);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "third (2 more like it in the last 10s)");
    // A quiet window later, the next one is news again.
    EXPECT_TRUE(filter.flush(t0 + 20s).empty());
    EXPECT_EQ(filter.pass(key, "again", t0 + 31s), "again");
    EXPECT_FALSE(filter.pass(key, "again 2", t0 + 32s));
    EXPECT_EQ(filter.pass(key, "after the window", t0 + 42s),
              "again 2 (1 more like it in the last 10s)");
}

}  // namespace
}  // namespace relay::plugins::kafka
