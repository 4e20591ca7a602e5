// A history reply cut to what its requester may queue (socketio/history_page.hpp).
#include "socketio/history_page.hpp"

#include "socketio/chat.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace relay::plugins::websocket::socketio {
namespace {

PageCut cut(std::vector<std::size_t> sizes, PageEnd keep, std::size_t budget, std::size_t room) {
    return cut_history_page(sizes, keep, budget, room);
}

void expect_cut(const PageCut& got, std::size_t first, std::size_t count, bool more) {
    EXPECT_EQ(got.first, first);
    EXPECT_EQ(got.count, count);
    EXPECT_EQ(got.more, more);
}

TEST(HistoryPage, EverythingThatFitsGoesWithoutMore) {
    expect_cut(cut({10, 20, 30}, PageEnd::newest, 60, 1000), 0, 3, false);
    expect_cut(cut({10, 20, 30}, PageEnd::oldest, 60, 1000), 0, 3, false);
    expect_cut(cut({}, PageEnd::newest, 0, 0), 0, 0, false);
}

TEST(HistoryPage, BackwardKeepsTheNewestThatFit) {
    // 45 messages of 100 KB against a 1 MiB budget: the newest 10, and more.
    const std::vector<std::size_t> sizes(45, 100'000);
    expect_cut(cut(sizes, PageEnd::newest, 1024 * 1024, 4 * 1024 * 1024), 35, 10, true);
    // Exactly full is full; one byte short leaves the oldest of them out.
    expect_cut(cut({10, 20, 30}, PageEnd::newest, 50, 1000), 1, 2, true);
    expect_cut(cut({10, 20, 30}, PageEnd::newest, 49, 1000), 2, 1, true);
}

TEST(HistoryPage, ForwardKeepsTheOldestThatFit) {
    expect_cut(cut({10, 20, 30}, PageEnd::oldest, 30, 1000), 0, 2, true);
    expect_cut(cut({10, 20, 30}, PageEnd::oldest, 29, 1000), 0, 1, true);
}

TEST(HistoryPage, StopsAtTheFirstMessageThatDoesNotFitEvenIfALaterOneWould) {
    // The page is contiguous: skipping the big one would leave a hole in the history.
    expect_cut(cut({5, 5, 100, 10}, PageEnd::newest, 50, 1000), 3, 1, true);
    expect_cut(cut({10, 100, 5, 5}, PageEnd::oldest, 50, 1000), 0, 1, true);
}

TEST(HistoryPage, AMessageOverTheBudgetGoesAloneWhenTheClientHasRoom) {
    // Paging must get past it: alone, though over the budget, as it fits the room.
    expect_cut(cut({10, 500}, PageEnd::newest, 100, 1000), 1, 1, true);
    expect_cut(cut({500, 10}, PageEnd::oldest, 100, 1000), 0, 1, true);
    expect_cut(cut({500}, PageEnd::newest, 100, 500), 0, 1, false);
}

TEST(HistoryPage, NothingWhenNotEvenOneMessageFitsTheRoom) {
    // The client's queue is nearly full: an empty page that says there is more.
    expect_cut(cut({10, 500}, PageEnd::newest, 100, 499), 2, 0, true);
    expect_cut(cut({500, 10}, PageEnd::oldest, 0, 0), 0, 0, true);
}

TEST(HistoryPage, EveryMessageOnceWhenPagedToTheEnd) {
    // Paging backward with the cut's cursor visits each message once, newest pages first.
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < 45; ++i) sizes.push_back(50'000 + (i * 7919) % 150'000);
    std::vector<int> seen(sizes.size(), 0);
    std::size_t end = sizes.size();  // the `before` cursor, as an index
    int pages = 0;
    for (;;) {
        const auto page = cut_history_page(std::span(sizes).first(end), PageEnd::newest,
                                           1024 * 1024, 4 * 1024 * 1024);
        ASSERT_GT(page.count, 0U);
        EXPECT_LE(
            std::accumulate(sizes.begin() + static_cast<std::ptrdiff_t>(page.first),
                            sizes.begin() + static_cast<std::ptrdiff_t>(page.first + page.count),
                            std::size_t{0}),
            std::size_t{1024 * 1024});
        for (std::size_t i = page.first; i < page.first + page.count; ++i) ++seen[i];
        ++pages;
        if (!page.more) break;
        end = page.first;
    }
    EXPECT_EQ(seen, std::vector<int>(sizes.size(), 1));
    EXPECT_GT(pages, 4);
}

TEST(HistoryPage, TheMoreObjectNamesTheNextQuerysCursor) {
    EXPECT_EQ(history_more_object(PageEnd::newest, "01J0ABC"),
              R"({"more":true,"before":"01J0ABC"})");
    EXPECT_EQ(history_more_object(PageEnd::oldest, "01J0XYZ"),
              R"({"more":true,"after":"01J0XYZ"})");
    EXPECT_EQ(history_more_object(PageEnd::newest, ""), R"({"more":true})");
    EXPECT_EQ(history_more_object(PageEnd::oldest, "a\"b"), R"({"more":true,"after":"a\"b"})");
    EXPECT_EQ(page_end_for(true), PageEnd::oldest);
    EXPECT_EQ(page_end_for(false), PageEnd::newest);
}

sdk::Message message(std::string id, std::string payload,
                     std::vector<std::string> attachments = {}) {
    sdk::Message m;
    m.id = std::move(id);
    m.room = "r";
    m.ts_ms = 1700000000000;
    m.sender = "sid1";
    m.user = "ann";
    m.payload_json = std::move(payload);
    m.attachments = std::move(attachments);
    return m;
}

TEST(HistoryPage, EntryBytesBoundWhatTheArrayHolds) {
    std::vector<sdk::Message> messages = {
        message("01", R"({"text":"hello"})"),
        message("02", R"({"id":"forged","mine":true,"text":"x"})"),
        message("03", R"({"f":{"_placeholder":true,"num":0},"g":{"_placeholder":true,"num":1}})",
                {"abc", "defgh"}),
        message("04", R"({"f":{"_placeholder":true,"num":0}})", {std::string(1000, 'z')}),
    };
    std::size_t bound = 1;  // the array's brackets, less the first comma counted below
    std::size_t attachment_bytes = 0;
    for (const auto& m : messages) {
        bound += history_entry_bytes(m, 0);
        for (const auto& a : m.attachments) attachment_bytes += a.size();
    }
    std::string array;
    std::vector<std::string> attachments;
    append_history_array(array, messages, attachments);
    EXPECT_LE(array.size() + attachment_bytes, bound);
    // The attachments moved out in order, the placeholders numbered in one sequence.
    ASSERT_EQ(attachments.size(), 3U);
    EXPECT_EQ(attachments[0], "abc");
    EXPECT_EQ(attachments[2], std::string(1000, 'z'));
    EXPECT_NE(array.find(R"("f":{"_placeholder":true,"num":2})"), std::string::npos) << array;
    // Server fields win over the client's.
    EXPECT_EQ(array.find("forged"), std::string::npos);
    EXPECT_EQ(array.front(), '[');
    EXPECT_EQ(array.back(), ']');
    // A frame's overhead counts once per attachment.
    EXPECT_EQ(history_entry_bytes(messages[2], 100), history_entry_bytes(messages[2], 0) + 200);
}

TEST(HistoryPage, AStoredMessageThatIsNotAnObjectIsLeftOut) {
    std::vector<sdk::Message> messages = {message("01", "[1,2]"), message("02", R"({"a":1})"),
                                          message("03", "nope")};
    std::string array;
    std::vector<std::string> attachments;
    append_history_array(array, messages, attachments);
    EXPECT_EQ(array,
              R"([{"a":1,"id":"02","room":"r","ts":1700000000000,"sender":"sid1","user":"ann"}])");
    array.clear();
    append_history_array(array, std::span<sdk::Message>(), attachments);
    EXPECT_EQ(array, "[]");
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio
