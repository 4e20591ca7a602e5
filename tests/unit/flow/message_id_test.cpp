// Message ids are strictly increasing per node, across I/O threads: history and
// recovery order by id, so that order must be the order in which messages were accepted.
#include "flow/message_id.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relay::host {
namespace {

TEST(MessageId, IdsTakenInTurnOnTwoThreadsWithinOneMillisecondIncrease) {
    // Two threads take ids in strict alternation, all in the same millisecond: each id
    // must sort after the one the other thread took just before. A generator per thread
    // starts each millisecond at a random point and fails this about half the time per
    // round.
    constexpr int kRounds = 200;
    constexpr std::int64_t kMs = 1800000000000;
    std::mutex mutex;
    std::condition_variable turn_changed;
    int turn = 0;  // even: thread 0's turn, odd: thread 1's
    std::vector<std::string> ids;
    auto take_turns = [&](int me) {
        for (int round = 0; round < kRounds; ++round) {
            std::unique_lock lock(mutex);
            turn_changed.wait(lock, [&] { return turn % 2 == me; });
            ids.push_back(next_message_id(kMs));
            ++turn;
            turn_changed.notify_all();
        }
    };
    std::thread a(take_turns, 0);
    std::thread b(take_turns, 1);
    a.join();
    b.join();
    ASSERT_EQ(ids.size(), 2U * kRounds);
    for (std::size_t i = 1; i < ids.size(); ++i) {
        EXPECT_LT(ids[i - 1], ids[i]) << "id " << i << " was taken after id " << i - 1;
    }
}

TEST(MessageId, AClockThatStepsBackKeepsTheLastTime) {
    MessageIdGenerator generator;
    const auto later = generator.next(1800000000500);
    const auto earlier_clock = generator.next(1800000000100);
    EXPECT_LT(later, earlier_clock);
}

}  // namespace
}  // namespace relay::host
