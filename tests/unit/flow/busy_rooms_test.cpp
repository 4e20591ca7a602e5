#include "flow/busy_rooms.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::host {
namespace {

using namespace std::chrono_literals;
using Clock = BusyRooms::Clock;

std::vector<std::string> names(const BusyRooms::Top& top) {
    std::vector<std::string> out;
    for (const auto& room : top.rooms) out.push_back(room.name);
    return out;
}

TEST(BusyRooms, TheBusiestComeFirstWithTheirRate) {
    const auto t0 = Clock::now();
    BusyRooms rooms(16, 10s, t0);
    for (int i = 0; i < 30; ++i) rooms.add("lobby", t0 + 1s);
    for (int i = 0; i < 10; ++i) rooms.add("quiet", t0 + 1s);
    for (int i = 0; i < 10; ++i) rooms.add("also-quiet", t0 + 1s);
    rooms.add("whisper", t0 + 1s);
    const auto top = rooms.top(3, t0 + 5s);
    EXPECT_EQ(names(top), (std::vector<std::string>{"lobby", "also-quiet", "quiet"}))
        << "ties by name";
    EXPECT_EQ(top.span, 5s) << "the first window so far";
    EXPECT_EQ(top.rooms[0].messages, 30U);
    EXPECT_EQ(top.rooms[0].overcount, 0U);
    EXPECT_DOUBLE_EQ(top.rooms[0].per_second, 6.0);
}

TEST(BusyRooms, CountsCoverTheLastWholeWindowAndTheCurrentOne) {
    const auto t0 = Clock::now();
    BusyRooms rooms(16, 10s, t0);
    for (int i = 0; i < 5; ++i) rooms.add("old", t0 + 1s);
    for (int i = 0; i < 3; ++i) rooms.add("new", t0 + 12s);  // the second window
    auto top = rooms.top(10, t0 + 15s);
    EXPECT_EQ(names(top), (std::vector<std::string>{"old", "new"}));
    EXPECT_EQ(top.span, 15s);
    // Two windows on, the first is gone, without a message to rotate it out.
    top = rooms.top(10, t0 + 21s);
    EXPECT_EQ(names(top), (std::vector<std::string>{"new"}));
    EXPECT_EQ(top.span, 11s);
    top = rooms.top(10, t0 + 35s);
    EXPECT_TRUE(top.rooms.empty());
    // A quiet spell longer than a window forgets everything before it.
    rooms.add("later", t0 + 45s);
    EXPECT_EQ(names(rooms.top(10, t0 + 45s)), (std::vector<std::string>{"later"}));
}

TEST(BusyRooms, ManyQuietRoomsNeverHideALoudOneAndMemoryStaysBounded) {
    const auto t0 = Clock::now();
    BusyRooms rooms(8, 10s, t0);
    // The loud room is a fifth of the traffic, among 1000 rooms of one message each.
    int sent = 0;
    for (int i = 0; i < 1000; ++i) {
        rooms.add("quiet-" + std::to_string(i), t0 + 1s);
        if (i % 4 == 0) {
            rooms.add("loud", t0 + 1s);
            ++sent;
        }
    }
    const auto top = rooms.top(8, t0 + 2s);
    EXPECT_LE(top.rooms.size(), 8U) << "never more than the capacity";
    ASSERT_FALSE(top.rooms.empty());
    EXPECT_EQ(top.rooms[0].name, "loud");
    // Never too low; too high by at most its overcount.
    EXPECT_GE(top.rooms[0].messages, static_cast<std::uint64_t>(sent));
    EXPECT_LE(top.rooms[0].messages - top.rooms[0].overcount, static_cast<std::uint64_t>(sent));
}

}  // namespace
}  // namespace relay::host
