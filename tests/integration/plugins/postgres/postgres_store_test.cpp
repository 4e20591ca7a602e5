// The postgres store against a real server: settings, schema migrations, writes,
// history and its index, verbatim text, batching, and connection losses short of a
// crash (postgres_crash_test.cpp has those).
#include "plugins/postgres/migrations.hpp"
#include "plugins/postgres/pg_codec.hpp"
#include "postgres_test_support.hpp"
#include "support/wait.hpp"

#include <relay/sdk/asio.hpp>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

namespace relay::plugins::postgres::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::eventually;

std::string error_of(const TestConfig& config) {
    try {
        parse_settings(config);
    } catch (const sdk::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

std::vector<sdk::Message> slice(const std::vector<sdk::Message>& all, std::size_t from,
                                std::size_t to) {
    return {all.begin() + static_cast<std::ptrdiff_t>(from),
            all.begin() + static_cast<std::ptrdiff_t>(to)};
}

// ---- settings and codecs (no server) -------------------------------------------------

TEST(PostgresSettings, DefaultsComeFromTheSchema) {
    const Settings s = parse_settings(TestConfig(schema(), "store"));
    EXPECT_EQ(s.dsn, "");
    EXPECT_TRUE(s.overrides.empty());
    EXPECT_EQ(s.pool_size, 2u);
    EXPECT_EQ(s.statement_timeout, 30s);
    EXPECT_EQ(s.batch_max, 1000u);
    EXPECT_EQ(s.batch_max_bytes, 16u << 20);
    EXPECT_EQ(s.batch_delay, 0ms);
    EXPECT_EQ(s.connect_timeout, 10s);
    EXPECT_EQ(s.retry_backoff, 100ms);
    EXPECT_EQ(s.retry_backoff_max, 5s);
    EXPECT_EQ(s.retry_timeout, 30s);
    for (const auto& key : schema()) EXPECT_FALSE(key.description.empty()) << key.name;
}

TEST(PostgresSettings, FieldsOverrideTheDsnInOrderAndThePasswordComesFromTheEnvironment) {
    ::setenv("RELAY_TEST_PG_PASSWORD", "s3cr3t 'x'", 1);
    TestConfig config(schema(), "store");
    config.set_string("dsn", "postgresql://a@b/c?sslmode=disable")
        .set_string("host", "db.example")
        .set_integer("port", 6543)
        .set_string("user", "relay")
        .set_string("dbname", "chat")
        .set_string("password_env", "RELAY_TEST_PG_PASSWORD")
        .set_string("sslmode", "require");
    const Settings s = parse_settings(config);
    EXPECT_EQ(s.dsn, "postgresql://a@b/c?sslmode=disable");
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"host", "db.example"}, {"port", "6543"},           {"user", "relay"},
        {"dbname", "chat"},     {"password", "s3cr3t 'x'"}, {"sslmode", "require"}};
    EXPECT_EQ(s.overrides, expected);
    ::unsetenv("RELAY_TEST_PG_PASSWORD");
}

TEST(PostgresSettings, BadValuesAreConfigErrorsNamingTheKey) {
    auto config = [] { return TestConfig(schema(), "store"); };
    ::unsetenv("RELAY_TEST_PG_UNSET");
    EXPECT_EQ(error_of(config().set_string("password_env", "RELAY_TEST_PG_UNSET")),
              "test.yaml:1:1: store.password_env: the environment variable "
              "\"RELAY_TEST_PG_UNSET\" is not set; export it or remove password_env");
    EXPECT_EQ(error_of(config().set_string("password", "x").set_string("password_env", "HOME")),
              "test.yaml:1:1: store.password_env: set either password or password_env, not both");
    EXPECT_EQ(error_of(config().set_duration("retry_backoff_max", 50ms)),
              "test.yaml:1:1: store.retry_backoff_max: expected at least retry_backoff (100ms), "
              "got 50ms");
    EXPECT_EQ(error_of(config().set_integer("batch_max", 0)),
              "test.yaml:1:1: store.batch_max: expected an integer from 1 to 100000, got 0");
    EXPECT_EQ(error_of(config().set_string("host", "")),
              "test.yaml:1:1: store.host: expected a value, got an empty string");
    EXPECT_EQ(error_of(config().set_duration("connect_timeout", 0ms)),
              "test.yaml:1:1: store.connect_timeout: expected a duration of at least 1ms, got 0");
    // The cross-key ones come from check(), which `relay check` runs too.
    const auto problems = check(config().set_duration("retry_backoff_max", 50ms));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "retry_backoff_max");
    EXPECT_TRUE(check(config().set_string("password_env", "HOME")).empty());
    EXPECT_EQ(error_of(config().set_string("sslmode", "always")),
              "test.yaml:1:1: store.sslmode: expected one of disable, allow, prefer, require, "
              "verify-ca, verify-full, got \"always\"");
}

TEST(PostgresCodec, ArraysRoundTripAndGarbageIsRefused) {
    codec::ArrayBuilder builder(codec::kBytea);
    const std::string binary("\0\x01\xff", 3);
    builder.add(binary);
    builder.add("");
    builder.add("abc");
    const std::string value = std::move(builder).finish();
    auto parsed = codec::parse_array(value);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, (std::vector<std::string_view>{binary, "", "abc"}));
    EXPECT_EQ(codec::parse_array(codec::ArrayBuilder(codec::kText).finish()),
              std::vector<std::string_view>{});
    EXPECT_FALSE(codec::parse_array(value.substr(0, value.size() - 1)));
    EXPECT_FALSE(codec::parse_array(value + "x"));
    EXPECT_FALSE(codec::parse_array("abc"));
    EXPECT_EQ(codec::parse_int8(std::string("\x80\0\0\0\0\0\0\x01", 8)),
              std::numeric_limits<std::int64_t>::min() + 1);
}

TEST(PostgresCodec, ErrorsCarryTheSqlstateAndSchemaErrorsBothVersions) {
    const auto ec = make_postgres_error("57014");
    EXPECT_EQ(std::string(ec.category().name()), "postgres");
    EXPECT_EQ(ec.message(), "postgres error 57014 (query_canceled)");
    EXPECT_EQ(sqlstate_of(ec), "57014");
    EXPECT_EQ(make_postgres_error("2BP01").message(), "postgres error 2BP01");
    EXPECT_EQ(make_schema_too_new_error(7, 1).message(),
              "the database's schema version 7 is newer than this plugin's 1 (run a newer "
              "relay, or point store.dsn at another database)");
}

// ---- against the shared server ---------------------------------------------------------

class PostgresStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = &shared_server();
        db_ = fresh_database(*server_);
        store_ = std::make_unique<StoreHarness>(server_->dsn(db_));
    }
    void TearDown() override {
        store_.reset();
        server_->drop_database(db_);
    }
    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        return server_->query(sql, db_);
    }
    std::string scalar(const std::string& sql) { return server_->scalar(sql, db_); }
    StoreHarness& store() { return *store_; }

    PostgresServer* server_ = nullptr;
    std::string db_;
    std::unique_ptr<StoreHarness> store_;
};

TEST_F(PostgresStoreTest, StartAppliesTheMigrationsOnceAndRecordsThem) {
    ASSERT_FALSE(store().start());
    EXPECT_EQ(
        rows("SELECT version, description FROM relay_schema_migrations"),
        (std::vector<std::vector<std::string>>{{"1", "messages table and its (room, id) index"}}));
    EXPECT_EQ(rows("SELECT column_name, data_type, coalesce(collation_name, '') FROM "
                   "information_schema.columns WHERE table_name = 'relay_messages' "
                   "ORDER BY ordinal_position"),
              (std::vector<std::vector<std::string>>{{"id", "text", "C"},
                                                     {"room", "text", "C"},
                                                     {"ts_ms", "bigint", ""},
                                                     {"sender", "text", ""},
                                                     {"user_name", "text", ""},
                                                     {"payload", "text", ""},
                                                     {"attachments", "ARRAY", ""},
                                                     {"position", "text", ""}}));
    store().stop();
    ASSERT_FALSE(store().start());  // the second start applies nothing
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema_migrations"), "1");
    EXPECT_EQ(kSchemaVersion, 1);
}

TEST_F(PostgresStoreTest, ADatabaseWithANewerSchemaIsRefusedNamingBothVersions) {
    ASSERT_FALSE(store().start());
    store().stop();
    rows("INSERT INTO relay_schema_migrations (version, description) VALUES (7, 'future')");
    const auto ec = store().start();
    EXPECT_EQ(std::string(ec.category().name()), "postgres schema");
    EXPECT_EQ(ec.message(),
              "the database's schema version 7 is newer than this plugin's 1 (run a newer "
              "relay, or point store.dsn at another database)");
    EXPECT_TRUE(store().ctx().logger().contains(
        ": the database's schema version 7 is newer than this plugin's 1"));
    EXPECT_EQ(store().append({make_message("x")}), sdk::Errc::unavailable);
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema_migrations"), "2");  // untouched
}

TEST_F(PostgresStoreTest, InsertsReplaysAndHistoryOrdering) {
    ASSERT_FALSE(store().start());
    const auto all = make_messages("m", 20, "room-a");
    // The later half first: history is ordered by id, not by arrival.
    ASSERT_FALSE(store().append(slice(all, 10, 20)));
    ASSERT_FALSE(store().append(slice(all, 0, 10)));
    ASSERT_FALSE(store().append(make_messages("m", 3, "room-b")));  // same ids elsewhere: skipped

    auto [ec, got] = store().history("room-a", {5, {}, {}});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, slice(all, 15, 20));
    EXPECT_EQ(store().history("room-a", {3, all[10].id, {}}).second, slice(all, 7, 10));
    EXPECT_EQ(store().history("room-a", {4, {}, all[5].id}).second, slice(all, 6, 10));
    EXPECT_EQ(store().history("room-a", {50, all[8].id, all[3].id}).second, slice(all, 4, 8));
    EXPECT_EQ(store().history("room-a", {2, all[8].id, all[3].id}).second, slice(all, 4, 6));
    EXPECT_EQ(store().history("room-b", {10, {}, {}}).second, std::vector<sdk::Message>{});

    // A replay changes nothing and counts as duplicates; so does a repeat within a batch.
    auto replay = all;
    replay[0].payload_json = "{\"changed\":true}";
    replay.push_back(replay[1]);
    ASSERT_FALSE(store().append(replay));
    EXPECT_EQ(store().counter("postgres_store_duplicates_total"), 3u + 21u);
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages"), "20");
    EXPECT_EQ(scalar("SELECT count(DISTINCT id) FROM relay_messages"), "20");
    EXPECT_EQ(store().history("room-a", {50, {}, {}}).second, all);
}

TEST_F(PostgresStoreTest, HistoryQueriesUseTheRoomIndex) {
    store().config().set_integer("batch_max", 2000);
    ASSERT_FALSE(store().start());
    // 40,000 rows over 200 rooms, then fresh statistics: a plan on this is the
    // planner's real choice, not an artefact of an empty table.
    constexpr int kRooms = 200;
    constexpr int kPerRoom = 200;
    std::vector<sdk::Message> batch;
    for (int i = 0; i < kRooms * kPerRoom; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "01HZ%08d", i);
        batch.push_back(make_message(id, "room-" + std::to_string(i % kRooms),
                                     "{\"text\":\"message number " + std::to_string(i) + "\"}"));
        if (batch.size() == 4000) {
            ASSERT_FALSE(store().append(std::exchange(batch, {})));
        }
    }
    rows("ANALYZE relay_messages");
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages"), std::to_string(kRooms * kPerRoom));

    struct Case {
        std::string_view sql;
        std::string types;
        std::string args;
    };
    const Case cases[] = {
        {sql::kHistoryLast, "text, int8", "'room-7', 50"},
        {sql::kHistoryBefore, "text, text, int8", "'room-7', '01HZ00020007', 50"},
        {sql::kHistoryAfter, "text, text, int8", "'room-7', '01HZ00020007', 50"},
        {sql::kHistoryBetween, "text, text, text, int8",
         "'room-7', '01HZ00000007', '01HZ00020007', 50"},
    };
    for (const auto& c : cases) {
        for (const char* mode : {"force_custom_plan", "force_generic_plan"}) {
            const auto plan =
                rows("SET plan_cache_mode = " + std::string(mode) + "; PREPARE q (" + c.types +
                     ") AS " + std::string(c.sql) + "; EXPLAIN EXECUTE q (" + c.args + ")");
            std::string text;
            for (const auto& line : plan) text += line.front() + "\n";
            SCOPED_TRACE(std::string(c.sql) + " (" + mode + "):\n" + text);
            EXPECT_NE(text.find("Index Scan"), std::string::npos);
            EXPECT_NE(text.find("using relay_messages_room_id on relay_messages"),
                      std::string::npos);
            EXPECT_EQ(text.find("Seq Scan"), std::string::npos);
            EXPECT_EQ(text.find("Sort"), std::string::npos);
            EXPECT_EQ(text.find("Bitmap"), std::string::npos);
        }
    }
    // And the answers are right on that volume.
    auto [ec, got] = store().history("room-7", {3, "01HZ00020007", {}});
    ASSERT_FALSE(ec);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].id, "01HZ00019407");
    EXPECT_EQ(got[2].id, "01HZ00019807");
}

TEST_F(PostgresStoreTest, RoomsUsersAndPayloadsAreStoredAndReturnedVerbatim) {
    ASSERT_FALSE(store().start());
    const std::string room = "it's \"the\" room \\ '); DROP TABLE relay_messages; -- 日本語 🎉";
    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
    std::vector<sdk::Message> batch;
    // Whitespace, key order, number spelling and escapes exactly as the client sent them
    // (jsonb would normalise them, and would refuse "\u0000").
    batch.push_back(make_message("v1", room, "{ \"b\" : 1,\n\t\"a\" : [1.50, 2e3] }"));
    batch.push_back(make_message("v2", room, R"({"text":"nul \u0000 escape, \ud83c\udf89"})"));
    batch.push_back(make_message("v3", room, R"({"text":"back\\slash \"q\" 'single' $1 %s ?"})"));
    batch.back().user = "Robert'); DROP TABLE students;-- \\ \"Bobby\"";
    batch.back().sender = "sid\\'\"";
    batch.push_back(make_message("v4", room, "{\"text\":\"Zoë ✓ ☃ 𝄞\"}"));
    batch.back().attachments = {binary, std::string(), std::string("\0\0\0", 3),
                                std::string(1 << 20, '\xfe')};
    batch.push_back(make_message("v5", room, "{}"));
    batch.back().user.clear();
    batch.back().position.clear();
    batch.back().attachments = {std::string(1, '\0')};
    ASSERT_FALSE(store().append(batch));

    auto [ec, got] = store().history(room, {50, {}, {}});
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(got, batch);
    // In the table too, byte for byte, and the payload still reads as JSON in SQL.
    EXPECT_EQ(scalar("SELECT payload FROM relay_messages WHERE id = 'v1'"), batch[0].payload_json);
    EXPECT_EQ(scalar("SELECT payload::jsonb ->> 'b' FROM relay_messages WHERE id = 'v1'"), "1");
    EXPECT_EQ(scalar("SELECT user_name FROM relay_messages WHERE id = 'v3'"), batch[2].user);
    EXPECT_EQ(scalar("SELECT room FROM relay_messages WHERE id = 'v3'"), room);
    EXPECT_EQ(scalar("SELECT array_length(attachments, 1) FROM relay_messages WHERE id = 'v4'"),
              "4");
    EXPECT_EQ(scalar("SELECT length(attachments[4]) FROM relay_messages WHERE id = 'v4'"),
              std::to_string(1 << 20));
    EXPECT_EQ(scalar("SELECT attachments IS NULL FROM relay_messages WHERE id = 'v1'"), "t");
}

TEST_F(PostgresStoreTest, LargeAppendsAreSplitByBatchMaxAndBatchMaxBytes) {
    store().config().set_integer("batch_max", 7);
    ASSERT_FALSE(store().start());
    const auto all = make_messages("s", 30);
    ASSERT_FALSE(store().append(all));
    EXPECT_EQ(store().counter("postgres_store_batches_total"), 5u);  // 7+7+7+7+2
    EXPECT_EQ(store().history("r", {100, {}, {}}).second, all);
    store().stop();

    store().config().set_integer("batch_max", 1000).set_size("batch_max_bytes", 1000);
    ASSERT_FALSE(store().start());
    auto big = make_messages("t", 10);
    for (auto& m : big) m.payload_json = "\"" + std::string(400, 'x') + "\"";
    big[9].attachments = {std::string(5000, 'a')};  // larger than the limit: written alone
    ASSERT_FALSE(store().append(big));
    EXPECT_EQ(store().counter("postgres_store_batches_total"), 5u + 6u);  // 2+2+2+2+1, 1
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages WHERE id LIKE 't%'"), "10");
}

TEST_F(PostgresStoreTest, BatchDelayMergesAppendsIntoOneTransaction) {
    store().config().set_duration("batch_delay", 300ms);
    ASSERT_FALSE(store().start());
    std::vector<Probe<std::error_code>> done;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        done.emplace_back(store().ctx());
        store().store().append(make_messages("d" + std::to_string(i), 2), done.back().callback());
    }
    for (auto& probe : done) {
        ASSERT_TRUE(probe.wait());
        EXPECT_FALSE(probe.get<0>());
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
    EXPECT_EQ(store().counter("postgres_store_batches_total"), 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages"), "10");
}

TEST_F(PostgresStoreTest, HistoryRunsOnItsOwnConnectionWhileAWriteWaits) {
    ASSERT_FALSE(store().start());
    const auto first = make_messages("h", 3);
    ASSERT_FALSE(store().append(first));

    // Another session blocks writes to the table (reads still pass).
    RawSession locker(server_->dsn(db_));
    locker.exec("BEGIN");
    locker.exec("LOCK TABLE relay_messages IN EXCLUSIVE MODE");
    Probe<std::error_code> pending(store().ctx());
    store().store().append(make_messages("h", 2, "r", 3), pending.callback());
    ASSERT_TRUE(eventually([&] {
        return scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") == "1";
    })) << "the write never reached the lock";

    auto [ec, got] = store().history("r", {10, {}, {}});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, first);
    EXPECT_FALSE(pending.done()) << "the append completed before its transaction could commit";
    // Nor does the executor wait: it runs other work at once.
    Probe<> ping(store().ctx());
    boost::asio::post(store().ctx().executor(), ping.callback());
    EXPECT_TRUE(ping.wait(std::chrono::milliseconds(2000)));

    locker.exec("COMMIT");
    ASSERT_TRUE(pending.wait());
    EXPECT_FALSE(pending.get<0>());
    EXPECT_EQ(store().history("r", {10, {}, {}}).second.size(), 5u);
}

TEST_F(PostgresStoreTest, AStatementTimeoutFailsTheAppendWithItsSqlstate) {
    store().config().set_duration("statement_timeout", 200ms);
    ASSERT_FALSE(store().start());
    RawSession locker(server_->dsn(db_));
    locker.exec("BEGIN");
    locker.exec("LOCK TABLE relay_messages IN EXCLUSIVE MODE");
    const auto ec = store().append({make_message("late-1")});
    EXPECT_EQ(ec.message(), "postgres error 57014 (query_canceled)");
    EXPECT_EQ(sqlstate_of(ec), "57014");
    EXPECT_TRUE(store().ctx().logger().contains(
        "cannot write 1 message(s) (first id late-1): ERROR:  canceling statement due to "
        "statement timeout"));
    locker.exec("COMMIT");
    EXPECT_FALSE(store().append({make_message("late-1")}));  // the queue's retry succeeds
}

TEST_F(PostgresStoreTest, AnAppendInFlightWhenItsConnectionDiesIsRetriedNotFailed) {
    ASSERT_FALSE(store().start());
    RawSession locker(server_->dsn(db_));
    locker.exec("BEGIN");
    locker.exec("LOCK TABLE relay_messages IN EXCLUSIVE MODE");
    const auto batch = make_messages("k", 50);
    Probe<std::error_code> pending(store().ctx());
    store().store().append(batch, pending.callback());
    const std::string waiting =
        "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'";
    std::string writer_pid;
    ASSERT_TRUE(eventually([&] { return (writer_pid = scalar(waiting)) != "0"; }));

    // The writer's backend goes away while its insert waits: the batch's fate is
    // unknown to the store, which must write it again on a new connection.
    EXPECT_EQ(scalar("SELECT pg_terminate_backend(" + writer_pid + ")"), "t");
    std::string second_pid;
    ASSERT_TRUE(eventually([&] {
        second_pid = scalar(waiting);
        return second_pid != "0" && second_pid != writer_pid;
    })) << "the batch was not sent again on a new connection";
    EXPECT_FALSE(pending.done()) << "the append was answered while its batch was not in";

    locker.exec("COMMIT");
    ASSERT_TRUE(pending.wait());
    EXPECT_FALSE(pending.get<0>()) << pending.get<0>().message();
    EXPECT_EQ(pending.calls(), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM relay_messages"), "50");
    EXPECT_GE(store().counter("postgres_store_reconnects_total"), 1u);
    EXPECT_TRUE(store().ctx().logger().contains("lost the writer connection"));
}

TEST_F(PostgresStoreTest, EveryConnectionComesBackAfterItsBackendIsTerminated) {
    ASSERT_FALSE(store().start());
    ASSERT_FALSE(store().append(make_messages("b", 4)));
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND application_name = 'relay'"),
              "3");  // the writer and pool_size readers
    rows(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid()");
    for (int i = 0; i < 3; ++i) {  // on whichever readers, each is answered
        auto [ec, got] = store().history("r", {10, {}, {}});
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(got.size(), 4u);
    }
    EXPECT_FALSE(store().append(make_messages("b", 4, "r", 4)));
    EXPECT_EQ(store().history("r", {10, {}, {}}).second.size(), 8u);
    EXPECT_TRUE(
        eventually([&] { return store().counter("postgres_store_reconnects_total") >= 3; }));
}

TEST_F(PostgresStoreTest, HostNamesAreResolvedOffTheIoThread) {
    store().config().set_string("dsn", "host=localhost port=" + std::to_string(server_->port()) +
                                           " user=relay dbname=" + db_);
    ASSERT_FALSE(store().start());
    EXPECT_FALSE(store().append({make_message("n1")}));
}

TEST_F(PostgresStoreTest, DestroyingTheStoreWithoutStopAnswersWhatIsPending) {
    ASSERT_FALSE(store().start());
    RawSession locker(server_->dsn(db_));
    locker.exec("BEGIN");
    locker.exec("LOCK TABLE relay_messages IN EXCLUSIVE MODE");
    Probe<std::error_code> pending(store().ctx());
    store().store().append({make_message("gone")}, pending.callback());
    ASSERT_TRUE(eventually([&] {
        return scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") == "1";
    }));
    store().destroy_without_stop();
    ASSERT_TRUE(pending.wait());
    EXPECT_EQ(pending.get<0>(), sdk::Errc::shutting_down);
    EXPECT_EQ(pending.calls(), 1);
    locker.exec("COMMIT");
}

TEST_F(PostgresStoreTest, CallsAfterStopAnswerShuttingDown) {
    ASSERT_FALSE(store().start());
    Probe<std::error_code> stopped(store().ctx());
    store().store().stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.get<0>());
    EXPECT_EQ(store().append({make_message("late")}), sdk::Errc::shutting_down);
    EXPECT_EQ(store().history("r").first, sdk::Errc::shutting_down);
    // The connections are closed (their backends exit a moment later).
    EXPECT_TRUE(eventually([&] {
        return scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                   "current_database() AND application_name = 'relay'") == "0";
    }));
}

// ---- without a server -----------------------------------------------------------------

int unused_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

TEST(PostgresStoreStart, FailsWhenNothingListensNamingTheServer) {
    const int port = unused_port();
    StoreHarness store("host=127.0.0.1 port=" + std::to_string(port) + " user=relay dbname=x");
    const auto ec = store.start();
    EXPECT_EQ(ec, sdk::Errc::unavailable);
    EXPECT_EQ(ec.message(), "backend unavailable");
    EXPECT_TRUE(
        store.ctx().logger().contains("postgres store host=127.0.0.1 port=" + std::to_string(port) +
                                      " dbname=x user=relay: cannot connect: "));
    EXPECT_TRUE(store.ctx().logger().contains("Connection refused"));
}

TEST(PostgresStoreStart, AServerThatNeverAnswersHitsTheConnectTimeout) {
    // A listening socket nobody accepts on: TCP connects, the startup packet is
    // never answered.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    StoreHarness store("host=127.0.0.1 port=" + std::to_string(silent.local_endpoint().port()) +
                       " user=relay dbname=x");
    store.config().set_duration("connect_timeout", 300ms);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(store.start(), sdk::Errc::unavailable);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s);
    EXPECT_TRUE(store.ctx().logger().contains(
        "cannot connect: timeout expired after 300 ms (connect_timeout)"));
}

}  // namespace
}  // namespace relay::plugins::postgres::testing
