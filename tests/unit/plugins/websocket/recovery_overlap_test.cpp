#include "server/recovery_overlap.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::plugins::websocket {
namespace {

using Clock = RecoveryOverlap::Clock;

// Ids as a kafka room shows them: the queue's order (as every node delivers) is not the
// ids' order, since each node accepts its own messages.
constexpr std::string_view kA = "01M95DP674DJV2C4F82EWZ4WHX";
constexpr std::string_view kLate = "01M95DP67Q0000000000000000";  // accepted before B, queued after
constexpr std::string_view kB = "01M95DP6ACC0XH9WXCBSCSRCTZ";     // the client's offset
constexpr std::string_view kC = "01M95DP6AVJRJ2RRHF607XVKXJ";
constexpr std::string_view kD = "01M95DP6BJ73NQ4K6W1QS2ZN74";

TEST(RecoveryOverlap, InactiveSkipsNothing) {
    RecoveryOverlap overlap;
    EXPECT_FALSE(overlap.active());
    EXPECT_FALSE(overlap.skip(kA, Clock::now()));
    EXPECT_FALSE(RecoveryOverlap("", {}, Clock::now() + std::chrono::minutes(2)).active());
}

TEST(RecoveryOverlap, ABehindNodeRepeatsWhatTheClientHadAndWhatTheStoreSent) {
    // The client had A then B on its last node; this node had delivered neither when
    // the client came back, and the store sent C. Then this node's subscription brings
    // A, B, the late one, C, D.
    const auto now = Clock::now();
    RecoveryOverlap overlap(std::string(kB), {kC}, now + std::chrono::minutes(2));
    EXPECT_TRUE(overlap.skip(kA, now));      // before the offset: the client's already
    EXPECT_TRUE(overlap.skip(kB, now));      // the offset itself
    EXPECT_FALSE(overlap.skip(kLate, now));  // after the offset in the queue: new to it,
                                             // although its id is older
    EXPECT_TRUE(overlap.skip(kC, now));      // sent by the recovery
    EXPECT_FALSE(overlap.active());          // the offset and every sent id came in
    EXPECT_FALSE(overlap.skip(kD, now));
}

TEST(RecoveryOverlap, SentIdsAreSkippedOnceWithoutAnOffset) {
    const auto now = Clock::now();
    RecoveryOverlap overlap("", {kC, kD}, now + std::chrono::minutes(2));
    EXPECT_FALSE(overlap.skip(kA, now));
    EXPECT_TRUE(overlap.skip(kD, now));
    EXPECT_TRUE(overlap.skip(kC, now));
    EXPECT_FALSE(overlap.skip(kC, now));
    EXPECT_FALSE(overlap.active());
}

TEST(RecoveryOverlap, EndsAtItsExpiry) {
    const auto now = Clock::now();
    RecoveryOverlap overlap(std::string(kB), {kC}, now + std::chrono::seconds(1));
    EXPECT_FALSE(overlap.skip(kA, now + std::chrono::seconds(1)));
    EXPECT_FALSE(overlap.active());
    EXPECT_FALSE(overlap.skip(kC, now));
}

}  // namespace
}  // namespace relay::plugins::websocket
