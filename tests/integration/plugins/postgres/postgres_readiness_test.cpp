// What the operator and the load balancer see while Postgres is away: the relay
// binary's /readyz answers 503 naming the store within 2 s of the server stopping,
// and 200 again only once writes go through; history fails fast meanwhile.
#include "postgres_test_support.hpp"
#include "support/relay_node.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

namespace relay::plugins::postgres::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::RelayNode;

TEST(PostgresReadiness, ReadyzIs503WhileTheServerIsStoppedAndReadyOnceWritesGoThrough) {
    PostgresServer server;
    const auto database = fresh_database(server);
    RelayNode node("queue: { use: memory }\nstore: { use: postgres, dsn: \"" +
                   server.dsn(database) + "\", retry_backoff: 50ms, retry_backoff_max: 200ms }\n");
    ASSERT_EQ(node.publish_one("lobby").rfind("ACK t1 ", 0), 0u) << node.log();
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"store/postgres\"}"), 1);

    server.stop();
    const auto down_ms = node.ms_until_readyz(503, 10s);
    ASSERT_TRUE(down_ms) << node.readyz().body << node.log();
    EXPECT_LE(*down_ms, 2000) << "the load balancer must hear of it within 2 s";
    const auto body = node.readyz().body;
    EXPECT_NE(body.find("not ready: unavailable:\nstore 'postgres': lost the connection to "
                        "Postgres at host=127.0.0.1 port=" +
                        std::to_string(server.port())),
              std::string::npos)
        << body;
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"store/postgres\"}"), 0);
    EXPECT_EQ(node.metric("relay_plugins_unavailable"), 1);
    EXPECT_EQ(node.metric("relay_plugin_unavailable_total{plugin=\"store/postgres\"}"), 1);
    EXPECT_NE(node.log().find("store 'postgres' is unavailable: lost the connection"),
              std::string::npos)
        << node.log();

    server.restart();
    const auto up_ms = node.ms_until_readyz(200, 20s);
    ASSERT_TRUE(up_ms) << node.readyz().body << node.log();
    EXPECT_EQ(node.readyz().body, "ready\n");
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"store/postgres\"}"), 1);
    EXPECT_EQ(node.metric("relay_plugins_unavailable"), 0);
    EXPECT_NE(node.log().find("store 'postgres' works again"), std::string::npos) << node.log();
    std::cout << "postgres stopped: /readyz 503 after " << *down_ms << " ms; restarted: 200 after "
              << *up_ms << " ms\n";
    RecordProperty("readyz_503_ms", static_cast<int>(*down_ms));
    RecordProperty("readyz_200_ms", static_cast<int>(*up_ms));
}

TEST(PostgresReadiness, HistoryFailsAtOnceWhileTheServerIsAwayAndTheFailureIsCounted) {
    PostgresServer server;
    StoreHarness store(server.dsn(fresh_database(server)));
    ASSERT_FALSE(store.start());
    ASSERT_FALSE(store.append(make_messages("h", 3)));
    ASSERT_FALSE(store.history("r").first);

    server.stop();
    ASSERT_TRUE(relay::testing::eventually(
        [&] { return store.ctx().test_health().unavailable_reason().has_value(); }, 2s))
        << "not unavailable within 2 s of the server stopping";
    // Asked right away: answered once the first reconnect finds the server gone.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(store.history("r").first, sdk::Errc::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s)
        << "history must not wait for a server that is gone";
    // And from then on at once.
    const auto again = std::chrono::steady_clock::now();
    EXPECT_EQ(store.history("r").first, sdk::Errc::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - again, 100ms);
    EXPECT_EQ(store.counter("postgres_store_history_failures_total"), 2u);

    server.restart();
    ASSERT_TRUE(relay::testing::eventually(
        [&] { return !store.ctx().test_health().unavailable_reason().has_value(); }, 20s));
    EXPECT_EQ(store.history("r", {10, {}, {}}).second, make_messages("h", 3));
    store.stop();
}

TEST(PostgresReadiness, AQueryTheServerDoesNotAnswerFailsAfterHistoryTimeout) {
    PostgresServer server;
    const auto dsn = server.dsn(fresh_database(server));
    StoreHarness store(dsn);
    store.config().set_duration("history_timeout", 300ms);
    ASSERT_FALSE(store.start());
    // Every reader waits for the lock the test holds: the queries are not answered.
    RawSession holder(dsn);
    holder.exec("BEGIN");
    holder.exec("LOCK TABLE relay_messages IN ACCESS EXCLUSIVE MODE");
    const auto start = std::chrono::steady_clock::now();
    const auto [ec, found] = store.history("r");
    const auto took = std::chrono::steady_clock::now() - start;
    holder.exec("ROLLBACK");
    EXPECT_EQ(ec, sdk::Errc::unavailable);
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s);
    // The store logs after it answered (the callback may win the race).
    EXPECT_TRUE(relay::testing::eventually([&] {
        return store.ctx().logger().contains(
            "history query(ies) failed: not answered within history_timeout (300 ms)");
    }));
    store.stop();
}

}  // namespace
}  // namespace relay::plugins::postgres::testing
