// AckedOffsets: whether the log has room for a write librdkafka inferred. Pure code, no
// cluster (it lives with the kafka tests because the plugin's implementation is linked
// here).
#include "plugins/kafka/acked_offsets.hpp"

#include <gtest/gtest.h>

namespace relay::plugins::kafka {
namespace {

TEST(AckedOffsets, AMessageBetweenAdjacentOffsetsHasNoRoom) {
    AckedOffsets acked;
    acked.acked(2, 10, 100);  // published 10th, written at 100
    acked.acked(2, 12, 101);  // published 12th, written right after it
    const auto gap = acked.gap(2, 11);
    ASSERT_TRUE(gap.has_value());
    EXPECT_EQ(gap->first, 101);
    EXPECT_EQ(gap->end, 101);
    EXPECT_TRUE(gap->empty()) << "the 11th message cannot be in the log";
}

TEST(AckedOffsets, AMessageWrittenInSequenceHasItsRoom) {
    AckedOffsets acked;
    acked.acked(0, 1, 40);
    acked.acked(0, 4, 43);  // 2 and 3 at 41 and 42, acked without offsets
    for (std::uint64_t seq : {2u, 3u}) {
        const auto gap = acked.gap(0, seq);
        ASSERT_TRUE(gap.has_value());
        EXPECT_EQ(gap->first, 41);
        EXPECT_EQ(gap->end, 43);
        EXPECT_FALSE(gap->empty());
    }
}

TEST(AckedOffsets, NearestNeighboursCountWhateverTheAckOrder) {
    AckedOffsets acked;
    acked.acked(1, 9, 70);
    acked.acked(1, 5, 60);  // acked late: offsets still order the neighbours
    acked.acked(1, 8, 66);
    acked.acked(1, 6, 61);
    const auto gap = acked.gap(1, 7);
    ASSERT_TRUE(gap.has_value());
    EXPECT_EQ(gap->first, 62);
    EXPECT_EQ(gap->end, 66);
}

TEST(AckedOffsets, NothingIsSaidWithoutBothNeighbours) {
    AckedOffsets acked;
    EXPECT_FALSE(acked.gap(0, 1).has_value()) << "unknown partition";
    acked.acked(0, 5, 10);
    EXPECT_FALSE(acked.gap(0, 6).has_value()) << "nothing published after it was acked";
    EXPECT_FALSE(acked.gap(0, 4).has_value()) << "nothing published before it was acked";
    EXPECT_FALSE(acked.gap(-1, 4).has_value()) << "no partition";
    acked.acked(3, 7, 10);
    EXPECT_FALSE(acked.gap(0, 6).has_value()) << "another partition's acks are no neighbours";
}

TEST(AckedOffsets, RemembersTheLastWindowOfEachPartition) {
    AckedOffsets acked;
    // Seqs 0, 2, 4, ... at consecutive offsets: each odd seq has no room.
    for (std::uint64_t i = 0; i < AckedOffsets::kWindow + 10; ++i) {
        acked.acked(0, 2 * i, static_cast<std::int64_t>(i));
    }
    EXPECT_FALSE(acked.gap(0, 1).has_value()) << "its predecessor left the window";
    const auto recent = acked.gap(0, 2 * AckedOffsets::kWindow + 1);
    ASSERT_TRUE(recent.has_value());
    EXPECT_TRUE(recent->empty());
}

}  // namespace
}  // namespace relay::plugins::kafka
