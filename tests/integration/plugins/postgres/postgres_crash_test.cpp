// The postgres store when its server dies: kill -9 in the middle of a load of batches
// (every acked id ends up stored, once), and appends that outlive retry_timeout while
// the server is down. Each test runs its own server, since it kills it.
#include "postgres_test_support.hpp"
#include "support/wait.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

namespace relay::plugins::postgres::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::eventually;
using sdk::testing::Collector;

TEST(PostgresStoreCrash, KillNineDuringALoadOfBatchesThenRestartStoresEveryAckedIdOnce) {
    PostgresServer server;
    StoreHarness store(server.dsn());
    store.config().set_integer("batch_max", 50).set_duration("retry_timeout", 60s);
    ASSERT_FALSE(store.start());

    constexpr int kAppends = 400;
    constexpr int kPerAppend = 10;
    constexpr std::size_t kOutstanding = 16;  // appends in flight at any time
    std::vector<std::vector<sdk::Message>> appends;
    for (int i = 0; i < kAppends; ++i) {
        appends.push_back(make_messages("c" + std::to_string(10000 + i) + "-", kPerAppend,
                                        "room-" + std::to_string(i % 7)));
    }
    struct Result {
        int index;
        std::error_code ec;
    };
    Collector<Result> results;
    std::atomic<int> sent{0};
    std::thread loader([&] {
        for (int i = 0; i < kAppends; ++i) {
            results.wait_for_size(static_cast<std::size_t>(i) + 1 > kOutstanding
                                      ? static_cast<std::size_t>(i) + 1 - kOutstanding
                                      : 0,
                                  60s);
            store.store().append(appends[static_cast<std::size_t>(i)],
                                 [&results, i](std::error_code ec) {
                                     results.add({i, ec});
                                 });
            ++sent;
        }
    });

    ASSERT_TRUE(results.wait_for_size(kAppends / 4));
    server.kill9();
    const int in_flight_at_crash = sent.load() - static_cast<int>(results.size());
    server.restart();
    loader.join();
    ASSERT_TRUE(results.wait_for_size(kAppends, 120s)) << results.size() << " answered";

    EXPECT_GT(in_flight_at_crash, 0) << "the crash hit no append in flight";
    std::set<std::string> acked;
    std::set<int> answered;
    for (const auto& r : results.snapshot()) {
        EXPECT_TRUE(answered.insert(r.index).second) << "append " << r.index << " answered twice";
        EXPECT_FALSE(r.ec) << "append " << r.index << ": " << r.ec.message();
        if (r.ec) continue;
        for (const auto& m : appends[static_cast<std::size_t>(r.index)]) acked.insert(m.id);
    }
    EXPECT_EQ(acked.size(), static_cast<std::size_t>(kAppends * kPerAppend));

    std::set<std::string> stored;
    std::size_t rows = 0;
    for (const auto& row : server.query("SELECT id FROM relay_messages")) {
        stored.insert(row.front());
        ++rows;
    }
    EXPECT_EQ(rows, stored.size()) << "an id is stored twice";
    EXPECT_EQ(stored, acked);
    EXPECT_GE(store.counter("postgres_store_reconnects_total"), 1u);
    // History answers again, from the restarted server.
    auto [ec, got] = store.history("room-3", {5, {}, {}});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(got.size(), 5u);
    store.stop();
}

TEST(PostgresStoreCrash, WhileTheServerIsDownOperationsFailAfterRetryTimeoutThenRecover) {
    PostgresServer server;
    StoreHarness store(server.dsn());
    store.config().set_duration("retry_timeout", 500ms);
    ASSERT_FALSE(store.start());
    ASSERT_FALSE(store.append(make_messages("a", 3)));

    server.kill9();
    const auto start = std::chrono::steady_clock::now();
    const auto ec = store.append(make_messages("a", 3, "r", 3));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(ec, sdk::Errc::unavailable);
    EXPECT_EQ(ec.message(), "backend unavailable");
    EXPECT_GE(took, 450ms);
    EXPECT_LT(took, 10s);
    EXPECT_EQ(store.history("r").first, sdk::Errc::unavailable);
    EXPECT_TRUE(store.ctx().logger().contains("failed: not done within retry_timeout (500 ms)"));

    server.restart();
    ASSERT_TRUE(eventually([&] { return !store.append(make_messages("a", 3, "r", 3)); }, 30s));
    auto [read_ec, got] = store.history("r", {10, {}, {}});
    EXPECT_FALSE(read_ec) << read_ec.message();
    EXPECT_EQ(got, make_messages("a", 6));
    store.stop();
}

}  // namespace
}  // namespace relay::plugins::postgres::testing
