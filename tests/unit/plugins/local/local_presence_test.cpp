#include <relay/sdk/testing/presence_contract.hpp>

#include "plugins/local/local_presence.hpp"
#include "plugins/local/settings.hpp"

#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace relay::plugins::local {

using sdk::testing::Collector;
using sdk::testing::Probe;
using sdk::testing::TestContext;

struct LocalPresenceTraits {
    static sdk::Schema schema() { return local::schema(); }
    static std::unique_ptr<sdk::Presence> make(sdk::PluginContext& ctx) {
        return std::make_unique<LocalPresence>(parse_settings(ctx.config()), ctx);
    }
};

}  // namespace relay::plugins::local

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Local, PresenceContract,
                               ::testing::Types<relay::plugins::local::LocalPresenceTraits>);
}  // namespace relay::sdk::testing

namespace relay::plugins::local {
namespace {

TEST(LocalSettings, HasNoKeys) {
    EXPECT_TRUE(schema().empty());
}

TEST(LocalPresence, FillsInThisNodeForMembersWithoutOne) {
    TestContext ctx(schema(), "presence", "node-7");
    LocalPresence presence(Settings{}, ctx);
    Collector<sdk::PresenceEvent> events;
    presence.on_change([&](const sdk::PresenceEvent& e) { events.add(e); });
    Probe<std::error_code> started(ctx);
    presence.start(started.callback());
    ASSERT_TRUE(started.wait());

    Probe<std::error_code> joined(ctx);
    presence.join(sdk::Member{"room", "sid", "user", "", 5}, joined.callback());
    ASSERT_TRUE(joined.wait());
    Probe<std::error_code, std::vector<sdk::Member>> members(ctx);
    presence.members("room", members.callback());
    ASSERT_TRUE(members.wait());
    const sdk::Member expected{"room", "sid", "user", "node-7", 5};
    EXPECT_EQ(members.get<1>(), std::vector<sdk::Member>{expected});
    ASSERT_TRUE(events.wait_for_size(1));
    EXPECT_EQ(events.snapshot()[0].member, expected);

    Probe<std::error_code> stopped(ctx);
    presence.stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
}

TEST(LocalPresence, ListsThisNodeAloneWithEveryMemberItHolds) {
    TestContext ctx(schema(), "presence", "node-7");
    LocalPresence presence(Settings{}, ctx);
    Probe<std::error_code> started(ctx);
    presence.start(started.callback());
    ASSERT_TRUE(started.wait());
    const auto nodes = [&] {
        Probe<std::error_code, std::vector<sdk::NodeInfo>> listed(ctx);
        presence.nodes(listed.callback());
        EXPECT_TRUE(listed.wait());
        EXPECT_FALSE(listed.get<0>());
        EXPECT_TRUE(listed.on_executor());
        return listed.get<1>();
    };
    // Holding none, the node is listed all the same.
    EXPECT_EQ(nodes(), (std::vector<sdk::NodeInfo>{{"node-7", 0}}));
    // One connection in two rooms is two members.
    for (const auto& room : {"a", "b"}) {
        Probe<std::error_code> joined(ctx);
        presence.join(sdk::Member{room, "sid", "user", "", 5}, joined.callback());
        ASSERT_TRUE(joined.wait());
    }
    EXPECT_EQ(nodes(), (std::vector<sdk::NodeInfo>{{"node-7", 2}}));
    Probe<std::error_code> left(ctx);
    presence.leave(sdk::Member{"a", "sid", "user", "", 5}, left.callback());
    ASSERT_TRUE(left.wait());
    EXPECT_EQ(nodes(), (std::vector<sdk::NodeInfo>{{"node-7", 1}}));

    Probe<std::error_code> stopped(ctx);
    presence.stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
    Probe<std::error_code, std::vector<sdk::NodeInfo>> after(ctx);
    presence.nodes(after.callback());
    ASSERT_TRUE(after.wait());
    EXPECT_EQ(after.get<0>(), sdk::Errc::shutting_down);
}

TEST(LocalPresence, AnswersShuttingDownAfterStopAndEmitsNothing) {
    TestContext ctx(schema(), "presence");
    LocalPresence presence(Settings{}, ctx);
    Collector<sdk::PresenceEvent> events;
    presence.on_change([&](const sdk::PresenceEvent& e) { events.add(e); });
    Probe<std::error_code> stopped(ctx);
    presence.stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());

    Probe<std::error_code> joined(ctx);
    presence.join(sdk::Member{"room", "sid", "", "n", 0}, joined.callback());
    ASSERT_TRUE(joined.wait());
    EXPECT_EQ(joined.get<0>(), sdk::Errc::shutting_down);
    Probe<std::error_code, std::vector<sdk::Member>> members(ctx);
    presence.members("room", members.callback());
    ASSERT_TRUE(members.wait());
    EXPECT_EQ(members.get<0>(), sdk::Errc::shutting_down);
    EXPECT_EQ(events.size(), 0u);
}

}  // namespace
}  // namespace relay::plugins::local
