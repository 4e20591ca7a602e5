#include "flow/unstored_messages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::host {
namespace {

using namespace std::chrono_literals;

sdk::Message message(std::string id, std::string room = "r") {
    sdk::Message msg;
    msg.id = std::move(id);
    msg.room = std::move(room);
    msg.payload_json = "{}";
    return msg;
}

std::vector<std::string> ids(const std::vector<sdk::Message>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.id);
    return out;
}

using Ids = std::vector<std::string>;

TEST(UnstoredMessages, MergesWhatTheStoreLacksIntoEachKindOfQuery) {
    UnstoredMessages unstored(60s, 1 << 20);
    for (const char* id : {"05", "06", "07"}) unstored.add(message(id));
    unstored.add(message("06", "other"));
    const std::vector<sdk::Message> stored = {message("01"), message("02"), message("03"),
                                              message("04"), message("05")};
    // Last N: the newest, oldest first; "05" is not doubled.
    EXPECT_EQ(ids(unstored.merge("r", {4, {}, {}}, stored)), (Ids{"04", "05", "06", "07"}));
    // Before an id: the last N older than it.
    EXPECT_EQ(ids(unstored.merge("r", {2, "07", {}}, {message("04"), message("05")})),
              (Ids{"05", "06"}));
    // After an id: the first N newer than it.
    EXPECT_EQ(ids(unstored.merge("r", {2, {}, "05"}, {})), (Ids{"06", "07"}));
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, "06"}, {})), (Ids{"07"}));
    // Another room's are not mixed in.
    EXPECT_EQ(ids(unstored.merge("other", {10, {}, {}}, {})), (Ids{"06"}));
}

TEST(UnstoredMessages, ForgetsWhatTheStoreReturned) {
    UnstoredMessages unstored(60s, 1 << 20);
    unstored.add(message("05"));
    unstored.add(message("06"));
    EXPECT_EQ(unstored.size(), 2U);
    unstored.merge("r", {10, {}, {}}, {message("05")});
    EXPECT_EQ(unstored.size(), 1U);
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {})), (Ids{"06"}));
}

TEST(UnstoredMessages, AddingAnIdTwiceKeepsOne) {
    UnstoredMessages unstored(60s, 1 << 20);
    unstored.add(message("05"));
    unstored.add(message("05"));
    EXPECT_EQ(unstored.size(), 1U);
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {})), (Ids{"05"}));
}

TEST(UnstoredMessages, OldAndOverBudgetEntriesAreDropped) {
    const auto t0 = UnstoredMessages::Clock::now();
    UnstoredMessages by_age(1s, 1 << 20);
    by_age.add(message("01"), t0);
    by_age.add(message("02"), t0 + 600ms);
    EXPECT_EQ(ids(by_age.merge("r", {10, {}, {}}, {}, t0 + 1500ms)), (Ids{"02"}));

    auto big = [](std::string id) {
        auto msg = message(std::move(id));
        msg.payload_json = "{\"t\":\"" + std::string(4000, 'x') + "\"}";
        return msg;
    };
    UnstoredMessages by_bytes(60s, 10000);
    for (const char* id : {"01", "02", "03"}) by_bytes.add(big(id));
    EXPECT_LE(by_bytes.bytes(), 10000U);
    EXPECT_EQ(ids(by_bytes.merge("r", {10, {}, {}}, {})), (Ids{"02", "03"}));
}

TEST(UnstoredMessages, MessagesAddedOutOfIdOrderAreKeptInItAndEvictedByAge) {
    // Acks from a queue with several partitions come in any order.
    const auto t0 = UnstoredMessages::Clock::now();
    UnstoredMessages unstored(1s, 1 << 20);
    unstored.add(message("09"), t0);
    unstored.add(message("07"), t0 + 600ms);
    unstored.add(message("08"), t0 + 700ms);
    unstored.add(message("07"), t0 + 800ms);  // again: kept once
    EXPECT_EQ(unstored.size(), 3U);
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {}, t0 + 900ms)), (Ids{"07", "08", "09"}));
    EXPECT_EQ(ids(unstored.merge("r", {10, "09", "07"}, {}, t0 + 900ms)), (Ids{"08"}));
    // The first added goes first, though it is the newest id.
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {}, t0 + 1500ms)), (Ids{"07", "08"}));
    unstored.merge("r", {10, {}, {}}, {message("08")}, t0 + 1500ms);
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {}, t0 + 1500ms)), (Ids{"07"}));
    EXPECT_EQ(ids(unstored.merge("r", {10, {}, {}}, {}, t0 + 2000ms)), (Ids{}));
    EXPECT_EQ(unstored.bytes(), 0U);
}

}  // namespace
}  // namespace relay::host
