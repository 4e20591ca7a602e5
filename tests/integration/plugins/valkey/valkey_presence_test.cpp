// The valkey presence across nodes: two presence instances (two node ids) on one
// server, the nodes they list, a node that dies without leaving (in process, and a real relay
// process killed with SIGKILL), a server restart, settings errors.
#include "support/free_port.hpp"
#include "support/http_get.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "valkey_plugins.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace relay::testing::valkey {
namespace {

using sdk::Member;
using sdk::PresenceEvent;
using sdk::testing::Collector;
using sdk::testing::Probe;
using sdk::testing::TestContext;

/// One presence instance as a node: its own context (executor, metrics), node id.
class Node {
public:
    Node(const std::string& node_id, const std::string& url, const std::string& prefix,
         std::chrono::milliseconds ttl = 15s, std::chrono::milliseconds heartbeat = 5s)
        : ctx_(presence_manifest().schema, "presence", node_id) {
        ctx_.settings()
            .set_string("url", url)
            .set_string("key_prefix", prefix)
            .set_duration("ttl", ttl)
            .set_duration("heartbeat_interval", heartbeat)
            .set_duration("connect_timeout", 1s)
            .set_duration("command_timeout", 1s)
            .set_duration("reconnect_delay", 50ms)
            .set_duration("reconnect_delay_max", 200ms);
        presence_ = make_presence(ctx_);
        presence_->on_change([events = events_](const PresenceEvent& e) { events->add(e); });
    }
    ~Node() {
        if (presence_ && !stopped_) {
            Probe<std::error_code> stopped(ctx_);
            presence_->stop(stopped.callback());
            stopped.wait();
        }
        presence_.reset();
    }

    std::error_code start() {
        return wait_done(ctx_, [&](sdk::Done d) { presence_->start(std::move(d)); });
    }
    std::error_code join(const Member& m) {
        return wait_done(ctx_, [&](sdk::Done d) { presence_->join(m, std::move(d)); });
    }
    std::error_code leave(const Member& m) {
        return wait_done(ctx_, [&](sdk::Done d) { presence_->leave(m, std::move(d)); });
    }
    std::error_code stop() {
        stopped_ = true;
        return wait_done(ctx_, [&](sdk::Done d) { presence_->stop(std::move(d)); });
    }
    std::pair<std::error_code, std::vector<Member>> members(const std::string& room) {
        Probe<std::error_code, std::vector<Member>> done(ctx_);
        presence_->members(room, done.callback());
        if (!done.wait()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {done.get<0>(), done.get<1>()};
    }
    std::pair<std::error_code, std::vector<sdk::NodeInfo>> nodes() {
        Probe<std::error_code, std::vector<sdk::NodeInfo>> done(ctx_);
        presence_->nodes(done.callback());
        if (!done.wait()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {done.get<0>(), done.get<1>()};
    }
    std::vector<sdk::NodeInfo> node_list() {
        auto [ec, list] = nodes();
        EXPECT_FALSE(ec) << ec.message();
        return list;
    }
    std::vector<std::string> sids(const std::string& room) {
        auto [ec, list] = members(room);
        std::vector<std::string> out;
        for (const auto& m : list) out.push_back(m.sid);
        return out;
    }
    /// Stops heartbeating and drops the connections without leaving: a crash, as far
    /// as the server can tell.
    void abandon() {
        presence_.reset();
        stopped_ = true;
    }

    sdk::Presence& presence() { return *presence_; }
    TestContext& ctx() { return ctx_; }
    const std::shared_ptr<Collector<PresenceEvent>>& events() const { return events_; }

    bool saw(PresenceEvent::Type type, const std::string& sid) const {
        return events_->wait_until([&](const std::vector<PresenceEvent>& all) {
            return std::any_of(all.begin(), all.end(), [&](const PresenceEvent& e) {
                return e.type == type && e.member.sid == sid;
            });
        });
    }

private:
    TestContext ctx_;
    std::unique_ptr<sdk::Presence> presence_;
    std::shared_ptr<Collector<PresenceEvent>> events_ =
        std::make_shared<Collector<PresenceEvent>>();
    bool stopped_ = false;
};

Member member(const std::string& room, const std::string& sid, const std::string& user,
              const std::string& node) {
    return Member{room, sid, user, node, 1700000000000};
}

std::string prefix() {
    return "test:" + sdk::testing::unique_token() + ":";
}

TEST(ValkeyPresence, TwoNodesSeeEachOthersMembersAndEvents) {
    const std::string p = prefix();
    Node a("node-a", shared_server().url(), p);
    Node b("node-b", shared_server().url(), p);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());

    const Member alice = member("lobby", "sid-a1", "alice", "node-a");
    const Member bob = member("lobby", "sid-b1", "bob", "node-b");
    const Member alice_elsewhere = member("kitchen", "sid-a2", "alice", "node-a");
    ASSERT_FALSE(a.join(alice));
    ASSERT_FALSE(b.join(bob));
    ASSERT_FALSE(a.join(alice_elsewhere));

    auto [ec, listed] = b.members("lobby");
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(listed, (std::vector<Member>{alice, bob}));
    EXPECT_EQ(a.sids("lobby"), (std::vector<std::string>{"sid-a1", "sid-b1"}));
    for (Node* node : {&a, &b}) {
        EXPECT_TRUE(node->saw(PresenceEvent::Type::join, "sid-a1"));
        EXPECT_TRUE(node->saw(PresenceEvent::Type::join, "sid-b1"));
    }

    Probe<std::error_code, std::size_t> count(b.ctx());
    b.presence().count("lobby", count.callback());
    ASSERT_TRUE(count.wait());
    EXPECT_FALSE(count.get<0>());
    EXPECT_EQ(count.get<1>(), 2u);
    Probe<std::error_code, std::vector<std::string>> rooms(b.ctx());
    b.presence().rooms_of("alice", rooms.callback());
    ASSERT_TRUE(rooms.wait());
    EXPECT_FALSE(rooms.get<0>());
    EXPECT_EQ(rooms.get<1>(), (std::vector<std::string>{"kitchen", "lobby"}));

    ASSERT_FALSE(a.leave(alice));
    EXPECT_EQ(b.sids("lobby"), std::vector<std::string>{"sid-b1"});
    for (Node* node : {&a, &b}) EXPECT_TRUE(node->saw(PresenceEvent::Type::leave, "sid-a1"));
}

TEST(ValkeyPresence, NodesListsEveryLiveNodeWithTheMembersItHolds) {
    const std::string p = prefix();
    Node a("node-a", shared_server().url(), p);
    Node b("node-b", shared_server().url(), p);
    Node idle("node-idle", shared_server().url(), p);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());
    ASSERT_FALSE(idle.start());
    const Member alice = member("lobby", "sid-a1", "alice", "node-a");
    ASSERT_FALSE(a.join(alice));
    ASSERT_FALSE(a.join(member("kitchen", "sid-a1", "alice", "node-a")));
    ASSERT_FALSE(b.join(member("lobby", "sid-b1", "bob", "node-b")));

    // Every node sees them all, sorted by node id; one holding none is listed too.
    const std::vector<sdk::NodeInfo> all{{"node-a", 2}, {"node-b", 1}, {"node-idle", 0}};
    EXPECT_EQ(a.node_list(), all);
    EXPECT_EQ(idle.node_list(), all);

    ASSERT_FALSE(a.leave(alice));
    EXPECT_EQ(b.node_list(),
              (std::vector<sdk::NodeInfo>{{"node-a", 1}, {"node-b", 1}, {"node-idle", 0}}));
    // A stopped node leaves the list at once, not after the ttl.
    ASSERT_FALSE(idle.stop());
    EXPECT_EQ(b.node_list(), (std::vector<sdk::NodeInfo>{{"node-a", 1}, {"node-b", 1}}));
}

TEST(ValkeyPresence, ANodeRestartedWithinItsTtlIsListedOnceWithBothIncarnationsMembers) {
    const std::string p = prefix();
    // Two processes of one node id, each its own owner: the old one (not yet expired)
    // and its successor.
    Node before("node-a", shared_server().url(), p);
    Node after("node-a", shared_server().url(), p);
    Node b("node-b", shared_server().url(), p);
    ASSERT_FALSE(before.start());
    ASSERT_FALSE(after.start());
    ASSERT_FALSE(b.start());
    ASSERT_FALSE(before.join(member("lobby", "sid-old", "alice", "node-a")));
    ASSERT_FALSE(after.join(member("lobby", "sid-new", "bob", "node-a")));
    EXPECT_EQ(b.node_list(), (std::vector<sdk::NodeInfo>{{"node-a", 2}, {"node-b", 0}}));
}

TEST(ValkeyPresence, ANodeWhoseHeartbeatStoppedLeavesTheNodeListWithinTheTtl) {
    const std::string p = prefix();
    constexpr auto kTtl = 1500ms;
    Node a("node-a", shared_server().url(), p, kTtl, 300ms);
    Node b("node-b", shared_server().url(), p, kTtl, 300ms);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());
    ASSERT_FALSE(a.join(member("room", "sid-a1", "alice", "node-a")));
    ASSERT_EQ(b.node_list(), (std::vector<sdk::NodeInfo>{{"node-a", 1}, {"node-b", 0}}));

    const auto died = std::chrono::steady_clock::now();
    a.abandon();
    ASSERT_TRUE(eventually([&] {
        return b.node_list() == std::vector<sdk::NodeInfo>{{"node-b", 0}};
    }));
    EXPECT_LE(std::chrono::steady_clock::now() - died, kTtl + 300ms)
        << "a dead node outlived the ttl in the list";
}

TEST(ValkeyPresence, MembersOfANodeThatDiedDisappearWithinTheTtl) {
    const std::string p = prefix();
    constexpr auto kTtl = 1500ms;
    Node a("node-a", shared_server().url(), p, kTtl, 300ms);
    Node b("node-b", shared_server().url(), p, kTtl, 300ms);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());
    ASSERT_FALSE(a.join(member("room", "sid-a1", "alice", "node-a")));
    ASSERT_FALSE(a.join(member("room", "sid-a2", "carol", "node-a")));
    ASSERT_FALSE(b.join(member("room", "sid-b1", "bob", "node-b")));
    ASSERT_EQ(b.sids("room"), (std::vector<std::string>{"sid-a1", "sid-a2", "sid-b1"}));

    const auto died = std::chrono::steady_clock::now();
    a.abandon();
    ASSERT_TRUE(eventually([&] { return b.sids("room") == std::vector<std::string>{"sid-b1"}; }));
    const auto gone_after = std::chrono::steady_clock::now() - died;
    EXPECT_LE(gone_after, kTtl + 300ms) << "members outlived the ttl";
    // The survivor removes them and announces their leaves (to every node).
    EXPECT_TRUE(b.saw(PresenceEvent::Type::leave, "sid-a1"));
    EXPECT_TRUE(b.saw(PresenceEvent::Type::leave, "sid-a2"));
    EXPECT_GE(b.ctx().test_metrics().counter_value("valkey_presence_reaped_total").value_or(0), 2u);
}

TEST(ValkeyPresence, AServerRestartIsRebuiltFromTheLiveNodes) {
    ValkeyServer server;  // no persistence: a restart loses everything
    const std::string p = prefix();
    Node a("node-a", server.url(), p, 3s, 500ms);
    Node b("node-b", server.url(), p, 3s, 500ms);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());
    ASSERT_FALSE(a.join(member("room", "sid-a1", "alice", "node-a")));
    ASSERT_FALSE(b.join(member("room", "sid-b1", "bob", "node-b")));

    server.kill9();
    // While the server is away, calls answer `unavailable` at once; chat goes on.
    ASSERT_TRUE(
        eventually([&] { return same_error(a.members("room").first, sdk::Errc::unavailable); }));
    const auto asked = std::chrono::steady_clock::now();
    const auto ec = a.join(member("room", "sid-a2", "carol", "node-a"));
    EXPECT_TRUE(same_error(ec, sdk::Errc::unavailable)) << ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 500ms) << "an unavailable answer was slow";
    EXPECT_GE(a.ctx().test_metrics().counter_value("valkey_presence_unavailable_total").value_or(0),
              1u);
    // ... and the plugin tells the host it is degraded, naming the server.
    ASSERT_TRUE(eventually([&] { return a.ctx().test_health().degraded_reason().has_value(); }));
    EXPECT_NE(a.ctx().test_health().degraded_reason()->find(server.endpoint()), std::string::npos)
        << *a.ctx().test_health().degraded_reason();

    server.restart();
    // Both nodes register their members again, the one joined meanwhile included.
    ASSERT_TRUE(eventually([&] {
        return b.sids("room") == std::vector<std::string>{"sid-a1", "sid-a2", "sid-b1"};
    })) << "presence was not rebuilt after the restart";
    EXPECT_EQ(a.sids("room"), (std::vector<std::string>{"sid-a1", "sid-a2", "sid-b1"}));
    // The member that joined during the outage is announced once the server is back
    // (to every node subscribed by then: pub/sub does not replay, so node b may miss
    // it if its own subscription came back later; node a waits for its own).
    EXPECT_TRUE(a.saw(PresenceEvent::Type::join, "sid-a2"));
    EXPECT_GE(a.ctx().test_metrics().counter_value("valkey_presence_disconnects_total").value_or(0),
              1u);
    EXPECT_TRUE(eventually([&] { return !a.ctx().test_health().degraded_reason(); }))
        << "still degraded after the restart: " << *a.ctx().test_health().degraded_reason();
    EXPECT_TRUE(eventually([&] { return !b.ctx().test_health().degraded_reason(); }));
}

TEST(ValkeyPresence, ReadyzSaysPresenceIsDegradedWhileTheServerIsAway) {
    ValkeyServer server;
    TempDir dir;
    const auto admin_port = free_port();
    std::ofstream(dir / "pipeline.yaml")
        << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", " << RELAY_PLUGIN_DIR << "] }\n"
        << "transport: { use: testline, listen: 127.0.0.1:0 }\n"
        << "queue: { use: memory }\n"
        << "presence: { use: valkey, url: \"" << server.url() << "\", key_prefix: \"" << prefix()
        << "\", connect_timeout: 500ms, command_timeout: 500ms, reconnect_delay: 50ms, "
           "reconnect_delay_max: 200ms }\n"
        << "admin: { listen: 127.0.0.1:" << admin_port << " }\n";
    Process relay({RELAY_BINARY, "run", (dir / "pipeline.yaml").string()}, dir.path());
    ASSERT_TRUE(eventually([&] { return http_get(admin_port, "/readyz").body == "ready\n"; }))
        << http_get(admin_port, "/readyz").body << relay.err();

    server.kill9();
    HttpAnswer answer;
    ASSERT_TRUE(eventually([&] {
        answer = http_get(admin_port, "/readyz");
        return answer.body.find("degraded") != std::string::npos;
    })) << answer.body;
    // Chat goes on without cross-node presence: still ready, with the reason.
    EXPECT_EQ(answer.status, 200);
    EXPECT_NE(answer.body.find("presence 'valkey': Valkey at " + server.endpoint()),
              std::string::npos)
        << answer.body;
    EXPECT_NE(http_get(admin_port, "/metrics").body.find("relay_plugins_degraded 1"),
              std::string::npos);

    server.restart();
    ASSERT_TRUE(eventually([&] { return http_get(admin_port, "/readyz").body == "ready\n"; }))
        << http_get(admin_port, "/readyz").body;
    EXPECT_NE(http_get(admin_port, "/metrics").body.find("relay_plugins_degraded 0"),
              std::string::npos);
    relay.signal(SIGTERM);
    EXPECT_TRUE(relay.wait_for(10s));
}

TEST(ValkeyPresence, AKilledRelayProcessesMembersDisappearWithinTheTtl) {
    TempDir dir;
    const std::string p = prefix();
    const auto port_file = dir / "port";
    std::ofstream(dir / "pipeline.yaml")
        << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", " << RELAY_PLUGIN_DIR << "] }\n"
        << "node: { id: doomed }\n"
        << "transport: { use: testline, listen: 127.0.0.1:0, port_file: " << port_file.string()
        << " }\n"
        << "queue: { use: memory }\n"
        << "presence: { use: valkey, url: \"" << shared_server().url() << "\", key_prefix: \"" << p
        << "\", ttl: 2s, heartbeat_interval: 500ms }\n";
    Process relay({RELAY_BINARY, "run", (dir / "pipeline.yaml").string()}, dir.path());
    std::optional<unsigned short> port;
    ASSERT_TRUE(eventually([&] {
        std::ifstream in(port_file);
        unsigned short value = 0;
        if (in >> value) port = value;
        return port.has_value() || relay.wait_for(0ms);
    }));
    ASSERT_TRUE(port) << relay.err();

    Node watcher("watcher", shared_server().url(), p, 2s, 500ms);
    ASSERT_FALSE(watcher.start());

    boost::asio::io_context io;
    boost::asio::ip::tcp::socket client(io);
    client.connect({boost::asio::ip::make_address("127.0.0.1"), *port});
    boost::asio::write(client, boost::asio::buffer(std::string("HELLO hall zoe\n")));
    boost::asio::streambuf welcome;
    const std::size_t n = boost::asio::read_until(client, welcome, '\n');
    std::string line(
        boost::asio::buffers_begin(welcome.data()),
        boost::asio::buffers_begin(welcome.data()) + static_cast<std::ptrdiff_t>(n - 1));
    ASSERT_EQ(line.rfind("WELCOME ", 0), 0u) << line;
    const std::string sid = line.substr(8);
    ASSERT_TRUE(eventually([&] { return watcher.sids("hall").size() == 1; }))
        << "the relay's member never showed up";

    relay.signal(SIGKILL);
    ASSERT_TRUE(relay.wait_for(10s));
    const auto died = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return watcher.sids("hall").empty(); }));
    EXPECT_LE(std::chrono::steady_clock::now() - died, 2s + 500ms);
    EXPECT_TRUE(watcher.saw(PresenceEvent::Type::join, sid));
    EXPECT_TRUE(watcher.saw(PresenceEvent::Type::leave, sid));
}

TEST(ValkeyPresence, AnUnreachableServerFailsTheStartNamingTheAddress) {
    TestContext ctx(presence_manifest().schema, "presence");
    // Port 1: nobody listens there.
    ctx.settings()
        .set_string("url", "redis://127.0.0.1:1")
        .set_duration("connect_timeout", 300ms)
        .set_duration("command_timeout", 300ms);
    auto presence = make_presence(ctx);
    const auto ec = wait_done(ctx, [&](sdk::Done d) { presence->start(std::move(d)); });
    EXPECT_TRUE(ec);
    EXPECT_EQ(ec.message(), "could not connect to the Valkey server (see the log; check `url`)");
    EXPECT_TRUE(ctx.logger().contains("cannot reach Valkey at 127.0.0.1:1"));
    presence.reset();
}

TEST(ValkeyPresence, AHostNameIsResolvedWithoutBlocking) {
    const std::string p = prefix();
    Node a("node-a", "redis://localhost:" + std::to_string(shared_server().port()), p);
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(a.join(member("room", "sid-1", "ann", "node-a")));
    EXPECT_EQ(a.sids("room"), std::vector<std::string>{"sid-1"});
}

TEST(ValkeyPresence, AStopDuringTheStartFailsTheStartAndCompletes) {
    TestContext ctx(presence_manifest().schema, "presence");
    ctx.settings().set_string("url", "redis://127.0.0.1:1");
    auto presence = make_presence(ctx);
    Probe<std::error_code> started(ctx);
    presence->start(started.callback());
    EXPECT_FALSE(wait_done(ctx, [&](sdk::Done d) { presence->stop(std::move(d)); }));
    ASSERT_TRUE(started.wait());
    EXPECT_TRUE(same_error(started.get<0>(), sdk::Errc::shutting_down))
        << started.get<0>().message();
    EXPECT_EQ(started.calls(), 1);
}

TEST(ValkeyPresence, AWrongPasswordFailsTheStart) {
    TestContext ctx(presence_manifest().schema, "presence");
    ctx.settings()
        .set_string("url", "redis://nobody:wrong@" + shared_server().endpoint())
        .set_duration("connect_timeout", 500ms)
        .set_duration("command_timeout", 500ms);
    auto presence = make_presence(ctx);
    EXPECT_TRUE(wait_done(ctx, [&](sdk::Done d) { presence->start(std::move(d)); }));
    EXPECT_TRUE(ctx.logger().contains("AUTH failed: WRONGPASS"));
}

TEST(ValkeyPresenceSettings, ErrorsNameTheKey) {
    auto error_of = [](auto configure) -> std::string {
        TestContext ctx(presence_manifest().schema, "presence");
        configure(ctx.settings());
        try {
            make_presence(ctx);
        } catch (const sdk::ConfigError& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(error_of([](auto& c) { c.set_string("url", "redis://h:port"); }),
              "test.yaml:1:1: presence.url: expected a port from 1 to 65535, got \"port\"");
    EXPECT_EQ(error_of([](auto& c) { c.set_string("url", "rediss://h:6380"); }),
              "test.yaml:1:1: presence.url: expected a redis:// or valkey:// URL, got "
              "\"rediss://h:6380\" (TLS is not supported)");
    EXPECT_EQ(error_of([](auto& c) { c.set_string("url", "redis://h:1/x"); }),
              "test.yaml:1:1: presence.url: expected a database number after '/', got \"x\"");
    EXPECT_EQ(error_of([](auto& c) { c.set_duration("heartbeat_interval", 10s); }),
              "test.yaml:1:1: presence.heartbeat_interval: expected at most half of ttl "
              "(15000ms), got 10000ms; a node would expire between two heartbeats");
    EXPECT_EQ(error_of([](auto& c) { c.set_string("user", "app"); }),
              "test.yaml:1:1: presence.user: an ACL user needs a password; set `password` or "
              "put it in the url");
}

TEST(ValkeyPresenceSettings, RelayCheckFindsABadUrl) {
    sdk::testing::TestConfig config(presence_manifest().schema, "presence");
    config.set_string("url", "127.0.0.1:0");
    const auto problems = presence_manifest().check(config);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "url");
    EXPECT_EQ(problems[0].message, "expected a port from 1 to 65535, got \"0\"");
}

TEST(ValkeyPresenceSettings, RelayCheckFindsEveryConnectionProblem) {
    // The connection keys' rules live once (common/valkey) and reach both plugins'
    // checks, all problems at once, in schema order.
    for (const auto* manifest : {&presence_manifest(), &queue_manifest()}) {
        sdk::testing::TestConfig config(manifest->schema, "x");
        config.set_string("user", "app")
            .set_duration("reconnect_delay", 2s)
            .set_duration("reconnect_delay_max", 1s);
        const auto problems = manifest->check(config);
        ASSERT_EQ(problems.size(), 2u) << manifest->name;
        EXPECT_EQ(problems[0].key, "user");
        EXPECT_EQ(problems[0].message,
                  "an ACL user needs a password; set `password` or put it in the url");
        EXPECT_EQ(problems[1].key, "reconnect_delay_max");
        EXPECT_EQ(problems[1].message, "expected at least reconnect_delay (2000ms), got 1000ms");
    }
}

TEST(ValkeyStreamsSettings, AnEmptyStreamOrGroupIsAProblem) {
    sdk::testing::TestConfig config(queue_manifest().schema, "queue");
    config.set_string("stream", "").set_string("store_group", "");
    const auto problems = queue_manifest().check(config);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].key, "stream");
    EXPECT_EQ(problems[0].message, "expected a key prefix, got an empty string");
    EXPECT_EQ(problems[1].key, "store_group");
    EXPECT_EQ(problems[1].message, "expected a group name, got an empty string");
}

TEST(ValkeyStreamsSettings, MaxlenMustExceedCapacity) {
    sdk::testing::TestConfig config(queue_manifest().schema, "queue");
    config.set_integer("maxlen", 1000).set_integer("capacity", 1000);
    const auto problems = queue_manifest().check(config);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "maxlen");
    EXPECT_EQ(problems[0].message,
              "expected more than capacity (1000), got 1000; trimming could drop messages the "
              "store has not committed");
}

}  // namespace
}  // namespace relay::testing::valkey
