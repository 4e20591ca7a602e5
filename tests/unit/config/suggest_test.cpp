#include "config/suggest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::host {
namespace {

TEST(Suggest, EditDistanceCountsTranspositionsOnce) {
    EXPECT_EQ(edit_distance("brokres", "brokers"), 1U);
    EXPECT_EQ(edit_distance("qeueu", "queue"), 2U);
    EXPECT_EQ(edit_distance("", "abc"), 3U);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
    EXPECT_EQ(edit_distance("Topic", "topic"), 0U);
}

TEST(Suggest, PicksTheClosestCandidate) {
    const std::vector<std::string> keys = {"use", "brokers", "topic", "partitions"};
    struct Case {
        std::string word;
        std::optional<std::string> expected;
    };
    const std::vector<Case> cases = {
        {"brokres", "brokers"},      {"broker", "brokers"},    {"partition", "partitions"},
        {"partitons", "partitions"}, {"Topic", "topic"},       {"uses", "use"},
        {"topics", "topic"},         {"colour", std::nullopt}, {"bootstrap", std::nullopt},
        {"ab", std::nullopt},        {"", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(suggest(c.word, keys), c.expected) << c.word;
    }
}

TEST(Suggest, AllowsMoreEditsForLongerWords) {
    const std::vector<std::string> keys = {"max_in_flight_messages"};
    EXPECT_EQ(edit_distance("max_in_flight_msges", "max_in_flight_messages"), 3U);
    EXPECT_EQ(suggest("max_in_flight_msges", keys), "max_in_flight_messages");  // 3 <= 19/3
    const std::vector<std::string> short_keys = {"brokers"};
    EXPECT_EQ(edit_distance("bkrs", "brokers"), 3U);
    EXPECT_EQ(suggest("bkrs", short_keys), std::nullopt);  // 3 > max(2, 4/3)
    EXPECT_EQ(suggest("brkrs", short_keys), "brokers");    // 2
}

TEST(Suggest, TiesGoToTheEarlierCandidate) {
    const std::vector<std::string> kinds = {"kafka", "kafkb"};
    EXPECT_EQ(suggest("kafkc", kinds), "kafka");
}

}  // namespace
}  // namespace relay::host
