// The http authenticator against a real HTTP server on loopback (auth_server.hpp):
// allow and deny, every refusal of its own, the keep-alive pool, max_in_flight,
// concurrent callers, and destruction with requests under way.
#include "plugins/http_auth/http_authenticator.hpp"
#include "auth_server.hpp"
#include "plugins/http_auth/refusals.hpp"
#include "plugins/http_auth/settings.hpp"
#include "support/free_port.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::http_auth {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sdk::AuthOutcome;
using sdk::testing::Collector;
using sdk::testing::Probe;
using sdk::testing::TestContext;
using testing::AuthServer;
using testing::Received;
using testing::Reply;
using Clock = std::chrono::steady_clock;

Reply allow(const std::string& user) {
    return {200, json{{"user", user}, {"rooms", json::array({"*"})}}.dump()};
}

sdk::Handshake handshake(std::string room = "general") {
    sdk::Handshake h;
    h.auth_json = R"({"token": "t-1"})";
    h.headers = {
        {"authorization", "Bearer t-1"}, {"x-secret", "s3cret"}, {"user-agent", "test-client"}};
    h.query = "EIO=4&transport=polling";
    h.remote_address = "198.51.100.4";
    h.room = std::move(room);
    return h;
}

class HttpAuthenticatorTest : public ::testing::Test {
protected:
    /// An authenticator for `url`; set other keys on ctx.settings() first.
    std::unique_ptr<HttpAuthenticator> make(const std::string& url) {
        ctx.settings().set_string("url", url);
        return std::make_unique<HttpAuthenticator>(binding().read(ctx.config()), ctx);
    }

    /// Starts an authentication; the probe records its answer.
    Probe<AuthOutcome> start(HttpAuthenticator& auth, const sdk::Handshake& h = handshake()) {
        Probe<AuthOutcome> answered(ctx);
        auth.authenticate(h, answered.callback());
        return answered;
    }

    /// Authenticates and waits for the answer, which must come once, on the executor.
    AuthOutcome ask(HttpAuthenticator& auth, const sdk::Handshake& h = handshake()) {
        auto answered = start(auth, h);
        EXPECT_TRUE(answered.wait());
        EXPECT_EQ(answered.calls(), 1);
        EXPECT_TRUE(answered.on_executor());
        return answered.done() ? answered.get<0>() : AuthOutcome::refuse("no answer");
    }

    std::uint64_t counter(std::string_view name) {
        return ctx.test_metrics().counter_value(name).value_or(0);
    }
    std::int64_t in_flight() {
        return ctx.test_metrics().gauge_value("http_auth_in_flight").value_or(-1);
    }

    /// Returns once every handler posted to the executor so far has run.
    void drain_executor() {
        Probe<> drained(ctx);
        boost::asio::post(ctx.executor(), [done = drained.callback()] { done(); });
        ASSERT_TRUE(drained.wait());
    }

    TestContext ctx{binding().schema(), "auth"};
};

TEST_F(HttpAuthenticatorTest, AllowsWithTheIdentityTheServiceAnswers) {
    AuthServer server([](const Received&) {
        return Reply{200, R"({"user": "u-42", "name": "Ada", "expires_at": 1767225600,
                             "rooms": {"general": ["join", "publish"], "team-*": ["join"]}})"};
    });
    auto auth = make(server.url());
    const auto outcome = ask(*auth);
    ASSERT_TRUE(outcome.allowed) << outcome.reason;
    EXPECT_EQ(outcome.identity.user_id, "u-42");
    EXPECT_EQ(outcome.identity.name, "Ada");
    EXPECT_EQ(outcome.identity.expires_at,
              std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
    EXPECT_TRUE(outcome.identity.may(sdk::Permission::publish, "general"));
    EXPECT_FALSE(outcome.identity.may(sdk::Permission::history, "general"));
    EXPECT_TRUE(outcome.identity.may(sdk::Permission::join, "team-3"));
    EXPECT_FALSE(outcome.identity.may(sdk::Permission::join, "random"));
    EXPECT_EQ(counter("http_auth_requests_total"), 1U);
    EXPECT_EQ(counter("http_auth_refused_total"), 0U);
    EXPECT_EQ(counter("http_auth_request_duration_seconds_bucket{le=\"+Inf\"}"), 1U);
    EXPECT_EQ(in_flight(), 0);
}

TEST_F(HttpAuthenticatorTest, RoomsAsAListGrantEveryPermission) {
    AuthServer server([](const Received&) {
        return Reply{200, R"({"user": "u-1", "rooms": ["general", "team-42/*"]})"};
    });
    auto auth = make(server.url());
    const auto outcome = ask(*auth);
    ASSERT_TRUE(outcome.allowed) << outcome.reason;
    EXPECT_EQ(outcome.identity.permissions_in("general"), sdk::kAllPermissions);
    EXPECT_EQ(outcome.identity.permissions_in("team-42/dev"), sdk::kAllPermissions);
    EXPECT_EQ(outcome.identity.permissions_in("team-7/dev"), sdk::kNoPermissions);
    EXPECT_FALSE(outcome.identity.expires());
}

TEST_F(HttpAuthenticatorTest, RefusesWithTheReasonOfA403) {
    AuthServer server([](const Received&) {
        return Reply{403, R"({"reason": "not a member of general"})"};
    });
    auto auth = make(server.url());
    const auto outcome = ask(*auth);
    EXPECT_FALSE(outcome.allowed);
    EXPECT_EQ(outcome.reason, "not a member of general");
    EXPECT_EQ(counter("http_auth_refused_total"), 1U);
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"status\"}"), 0U);
}

TEST_F(HttpAuthenticatorTest, A401WithoutAReasonIsAccessDenied) {
    AuthServer server([](const Received&) { return Reply{401, ""}; });
    auto auth = make(server.url());
    EXPECT_EQ(ask(*auth).reason, "access denied");
}

TEST_F(HttpAuthenticatorTest, RefusesWithTheReasonOfA2xxDeny) {
    AuthServer server([](const Received&) { return Reply{200, R"({"deny": "token expired"})"}; });
    auto auth = make(server.url());
    const auto outcome = ask(*auth);
    EXPECT_FALSE(outcome.allowed);
    EXPECT_EQ(outcome.reason, "token expired");
}

TEST_F(HttpAuthenticatorTest, A500IsAServiceErrorAndDegradesUntilTheServiceAnswers) {
    std::atomic<unsigned> status{500};
    AuthServer server([&](const Received&) { return Reply{status.load(), allow("u-1").body}; });
    auto auth = make(server.url());
    EXPECT_EQ(ask(*auth).reason, "auth service error (HTTP 500)");
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"status\"}"), 1U);
    EXPECT_EQ(ctx.test_health().degraded_reason(),
              "auth service at " + server.url() + ": it answers HTTP 500; clients cannot connect");
    status = 200;
    EXPECT_TRUE(ask(*auth).allowed);
    EXPECT_EQ(ctx.test_health().state(), sdk::testing::TestHealth::State::working);
}

TEST_F(HttpAuthenticatorTest, ASlowServiceTimesOutWithinTheTimeout) {
    AuthServer server([](const Received&) {
        auto reply = allow("u-1");
        reply.delay = 10s;
        return reply;
    });
    ctx.settings().set_duration("timeout", 300ms);
    auto auth = make(server.url());
    const auto began = Clock::now();
    const auto outcome = ask(*auth);
    const auto took = Clock::now() - began;
    EXPECT_EQ(outcome.reason, "auth service timed out");
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 300ms + 1500ms);  // the margin is for a loaded machine
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"timeout\"}"), 1U);
    EXPECT_EQ(in_flight(), 0);
}

TEST_F(HttpAuthenticatorTest, AClosedPortIsUnavailable) {
    const auto port = relay::testing::free_port();
    auto auth = make("http://127.0.0.1:" + std::to_string(port) + "/auth");
    EXPECT_EQ(ask(*auth).reason, "auth service unavailable");
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"unavailable\"}"), 1U);
    const auto degraded = ctx.test_health().degraded_reason();
    ASSERT_TRUE(degraded.has_value());
    EXPECT_NE(degraded->find("cannot connect to 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << *degraded;
    EXPECT_TRUE(ctx.logger().contains("clients are refused until it answers"));
}

TEST_F(HttpAuthenticatorTest, SequentialRequestsReuseKeepAliveConnections) {
    AuthServer server([](const Received&) { return allow("u-1"); });
    ctx.settings().set_integer("keep_alive_connections", 2);
    auto auth = make(server.url());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(ask(*auth).allowed) << i;
    EXPECT_LE(server.connections(), 2);
    EXPECT_EQ(counter("http_auth_connections_opened_total"),
              static_cast<std::uint64_t>(server.connections()));
    EXPECT_EQ(server.received().size(), 50U);
}

TEST_F(HttpAuthenticatorTest, WithoutKeepAliveEveryRequestHasItsConnection) {
    AuthServer server([](const Received&) { return allow("u-1"); });
    ctx.settings().set_integer("keep_alive_connections", 0);
    auto auth = make(server.url());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(ask(*auth).allowed) << i;
    EXPECT_EQ(server.connections(), 5);
}

TEST_F(HttpAuthenticatorTest, AKeepAliveConnectionTheServerClosedIsReplaced) {
    std::atomic<int> answered{0};
    AuthServer server([&](const Received&) {
        auto reply = allow("u-1");
        reply.close_after = answered++ == 0;  // the first connection dies idle
        return reply;
    });
    auto auth = make(server.url());
    EXPECT_TRUE(ask(*auth).allowed);
    EXPECT_TRUE(ask(*auth).allowed);
    EXPECT_TRUE(ask(*auth).allowed);
    EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpAuthenticatorTest, ADeadConnectionIsRetriedOnceOnly) {
    std::atomic<bool> drop{false};
    AuthServer server([&](const Received&) {
        auto reply = allow("u-1");
        reply.drop = drop.load();
        return reply;
    });
    auto auth = make(server.url());
    ASSERT_TRUE(ask(*auth).allowed);  // leaves a connection in the pool
    drop = true;
    EXPECT_EQ(ask(*auth).reason, "auth service unavailable");
    // The pooled connection, then one fresh one: no third try.
    EXPECT_EQ(server.received().size(), 3U);
    EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpAuthenticatorTest, PastMaxInFlightIsRefusedBusyAtOnce) {
    std::atomic<int> seen{0};
    AuthServer server([&](const Received&) {
        auto reply = allow("u-1");
        reply.hold = seen++ < 2;  // the first two wait for release()
        return reply;
    });
    ctx.settings().set_integer("max_in_flight", 2);
    auto auth = make(server.url());
    auto first = start(*auth);
    auto second = start(*auth);
    ASSERT_TRUE(server.wait_for_requests(2));
    EXPECT_EQ(in_flight(), 2);

    const auto began = Clock::now();
    EXPECT_EQ(ask(*auth).reason, "auth service busy");
    EXPECT_LT(Clock::now() - began, 1s);
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"busy\"}"), 1U);
    EXPECT_TRUE(ctx.logger().contains("raise `max_in_flight`"));

    server.release();
    ASSERT_TRUE(first.wait());
    ASSERT_TRUE(second.wait());
    EXPECT_TRUE(first.get<0>().allowed);
    EXPECT_TRUE(second.get<0>().allowed);
    EXPECT_EQ(in_flight(), 0);
    EXPECT_TRUE(ask(*auth).allowed);  // the slots are free again
}

TEST_F(HttpAuthenticatorTest, TheRequestCarriesTheHandshakeAndOnlyTheForwardedHeaders) {
    AuthServer server([](const Received&) { return allow("u-1"); });
    auto auth = make(server.url("/relay/connect?v=2"));
    ASSERT_TRUE(ask(*auth, handshake("team-42/dev")).allowed);
    const auto received = server.received();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].target, "/relay/connect?v=2");
    EXPECT_EQ(received[0].content_type, "application/json");
    EXPECT_EQ(json::parse(received[0].body), json::parse(R"({
        "auth": {"token": "t-1"},
        "headers": {"authorization": "Bearer t-1", "user-agent": "test-client"},
        "query": "EIO=4&transport=polling",
        "remote_address": "198.51.100.4",
        "room": "team-42/dev",
        "refresh": false})"));
}

TEST_F(HttpAuthenticatorTest, ForwardHeadersNamesAreCaseInsensitive) {
    AuthServer server([](const Received&) { return allow("u-1"); });
    ctx.settings().set_string_list("forward_headers", {"X-Secret"});
    auto auth = make(server.url());
    ASSERT_TRUE(ask(*auth).allowed);
    EXPECT_EQ(json::parse(server.received().at(0).body)["headers"],
              json::parse(R"({"x-secret": "s3cret"})"));
}

TEST_F(HttpAuthenticatorTest, AMalformedIdentityIsRefusedAndLogged) {
    AuthServer server([](const Received&) { return Reply{200, R"({"name": "no user"})"}; });
    auto auth = make(server.url());
    EXPECT_EQ(ask(*auth).reason, "auth service answered malformed identity");
    EXPECT_TRUE(ctx.logger().contains("HTTP 200: no `user` (nor `deny`)"));
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"malformed\"}"), 1U);
    // A second one within the throttle's interval is counted, not logged.
    EXPECT_EQ(ask(*auth).reason, "auth service answered malformed identity");
    EXPECT_EQ(counter("http_auth_errors_total{kind=\"malformed\"}"), 2U);
    EXPECT_EQ(ctx.logger().lines().size(), 1U);
}

TEST_F(HttpAuthenticatorTest, ABodyThatIsNotJsonOrTooLargeIsMalformed) {
    std::atomic<bool> large{false};
    AuthServer server([&](const Received&) {
        return large ? Reply{200, std::string(kMaxAnswerBody + 1, ' ') + "{}"}
                     : Reply{200, "<html>ok</html>"};
    });
    auto auth = make(server.url());
    EXPECT_EQ(ask(*auth).reason, "auth service answered malformed identity");
    EXPECT_TRUE(ctx.logger().contains("the 2xx body is not JSON"));
    large = true;
    EXPECT_EQ(ask(*auth).reason, "auth service answered malformed identity");
}

TEST_F(HttpAuthenticatorTest, ConcurrentCallersAreEachAnsweredOnceWithTheirOwnAnswer) {
    // The service names each client after its room, so an answer shows whose it is.
    AuthServer server([](const Received& got) {
        return allow(json::parse(got.body)["room"].get<std::string>());
    });
    constexpr int kCalls = 200;
    ctx.settings().set_integer("max_in_flight", kCalls);
    auto auth = make(server.url());
    Collector<std::pair<int, AuthOutcome>> answers;
    std::atomic<int> off_executor{0};
    sdk::testing::call_concurrently(4, kCalls, [&](int i) {
        auth->authenticate(handshake("room-" + std::to_string(i)), [&, i](AuthOutcome outcome) {
            if (!ctx.on_executor()) ++off_executor;
            answers.add({i, std::move(outcome)});
        });
    });
    ASSERT_TRUE(answers.wait_for_size(kCalls));
    auth.reset();
    drain_executor();  // a second answer would have been queued by now

    std::map<int, int> calls;
    for (const auto& [i, outcome] : answers.snapshot()) {
        ++calls[i];
        EXPECT_TRUE(outcome.allowed) << i << ": " << outcome.reason;
        EXPECT_EQ(outcome.identity.user_id, "room-" + std::to_string(i));
    }
    EXPECT_EQ(calls.size(), static_cast<std::size_t>(kCalls));
    for (const auto& [i, count] : calls) EXPECT_EQ(count, 1) << i;
    EXPECT_EQ(off_executor.load(), 0);
    EXPECT_LE(server.connections(), kCalls);
    EXPECT_EQ(in_flight(), 0);
}

TEST_F(HttpAuthenticatorTest, DestructionAnswersWhatIsUnderWayOnceAsShuttingDown) {
    AuthServer server([](const Received&) {
        auto reply = allow("u-1");
        reply.hold = true;
        return reply;
    });
    auto auth = make(server.url());
    std::vector<Probe<AuthOutcome>> pending;
    pending.reserve(3);
    for (int i = 0; i < 3; ++i) pending.push_back(start(*auth));
    ASSERT_TRUE(server.wait_for_requests(3));

    const auto began = Clock::now();
    auth.reset();
    for (auto& answered : pending) {
        ASSERT_TRUE(answered.wait());
        EXPECT_EQ(answered.get<0>().reason, "server shutting down");
        EXPECT_TRUE(answered.on_executor());
    }
    EXPECT_LT(Clock::now() - began, 1s);  // not the timeout: cancelled
    server.release();                     // answers nobody listens to any more
    drain_executor();
    for (auto& answered : pending) EXPECT_EQ(answered.calls(), 1);
    EXPECT_EQ(in_flight(), 0);
}

}  // namespace
}  // namespace relay::plugins::http_auth
