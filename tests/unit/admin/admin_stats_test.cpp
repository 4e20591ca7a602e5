// /admin/stats' `nodes`: presence's list with this node marked; null with the reason in
// words when presence has no list, cannot give one, or does not answer in time.
#include "admin/admin_stats.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// A presence whose nodes() does what the test says; the rest is never called.
class FakePresence : public sdk::Presence {
public:
    /// Empty: the SDK's default nodes() (not supported).
    std::function<void(sdk::NodesDone)> nodes_answer;

    void on_change(sdk::PresenceHandler) override {}
    void start(sdk::Done done) override { done({}); }
    void join(const sdk::Member&, sdk::Done done) override { done({}); }
    void leave(const sdk::Member&, sdk::Done done) override { done({}); }
    void members(std::string_view, sdk::MembersDone done) override { done({}, {}); }
    void nodes(sdk::NodesDone done) override {
        if (nodes_answer) return nodes_answer(std::move(done));
        sdk::Presence::nodes(std::move(done));
    }
    void stop(sdk::Done done) override { done({}); }
};

class AdminStatsNodes : public ::testing::Test {
protected:
    /// The stats' JSON, once render() answered (the io_context runs until then).
    json render() {
        AdminStats stats("node-a", metrics_, health_, rooms_, presence_, io_.get_executor());
        std::optional<std::string> body;
        int answers = 0;
        stats.render([&](std::string b) {
            body = std::move(b);
            ++answers;
        });
        io_.restart();
        io_.run();
        EXPECT_EQ(answers, 1);
        return body ? json::parse(*body) : json();
    }

    boost::asio::io_context io_;
    MetricsRegistry metrics_;
    HealthBoard health_{metrics_};
    BusyRooms rooms_;
    FakePresence presence_;
};

TEST_F(AdminStatsNodes, ListsPresencesNodesMarkingThisOne) {
    presence_.nodes_answer = [](const sdk::NodesDone& done) {
        done({}, {{"node-a", 3}, {"node-b", 0}});
    };
    const auto doc = render();
    EXPECT_EQ(doc["node"], "node-a");
    EXPECT_EQ(doc["nodes"], json::parse(R"([{"node": "node-a", "members": 3, "self": true},
                                            {"node": "node-b", "members": 0, "self": false}])"));
    EXPECT_FALSE(doc.contains("nodes_problem"));
}

TEST_F(AdminStatsNodes, APresenceWithoutANodeListIsSaidInWords) {
    const auto doc = render();
    EXPECT_TRUE(doc["nodes"].is_null());
    EXPECT_EQ(doc["nodes_problem"], "this presence does not list nodes");
    // The rest of the answer is there all the same.
    EXPECT_TRUE(doc["metrics"].is_object());
}

TEST_F(AdminStatsNodes, APresenceThatCannotAnswerNowSaysWhy) {
    presence_.nodes_answer = [](const sdk::NodesDone& done) {
        done(make_error_code(sdk::Errc::unavailable), {});
    };
    const auto doc = render();
    EXPECT_TRUE(doc["nodes"].is_null());
    EXPECT_EQ(doc["nodes_problem"], "presence cannot list the nodes now: " +
                                        make_error_code(sdk::Errc::unavailable).message());
}

TEST_F(AdminStatsNodes, APresenceThatNeverAnswersCostsTheDeadlineOnly) {
    sdk::NodesDone dropped;  // held, never called: the answer must not wait for it
    presence_.nodes_answer = [&](sdk::NodesDone done) { dropped = std::move(done); };
    const auto asked = std::chrono::steady_clock::now();
    const auto doc = render();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, AdminStats::kNodesDeadline + 1s);
    EXPECT_TRUE(doc["nodes"].is_null());
    EXPECT_EQ(doc["nodes_problem"], "presence did not list the nodes within 2 s");
    // A late answer changes nothing (render()'s callback counted one answer).
    dropped({}, {{"node-a", 1}});
    io_.restart();
    io_.run();
}

}  // namespace
}  // namespace relay::host
