#include <relay/sdk/testing/store_contract.hpp>

#include "plugins/sqlite/settings.hpp"
#include "plugins/sqlite/sqlite_store.hpp"
#include "plugins/sqlite/wal_checkpointer.hpp"
#include "support/wait.hpp"

#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::sqlite {

using namespace std::chrono_literals;
using sdk::testing::Probe;
using sdk::testing::TestConfig;
using sdk::testing::TestContext;

/// A fresh directory per test; the database goes one level below it, so that the
/// store has to create its parent directory.
struct SqliteStoreTraits {
    static sdk::Schema schema() { return sqlite::schema(); }
    static std::unique_ptr<sdk::Store> make(sdk::PluginContext& ctx) {
        return std::make_unique<SqliteStore>(parse_settings(ctx.config()), ctx);
    }
    static void set_up(TestConfig& config) {
        const auto dir = std::filesystem::temp_directory_path() /
                         ("relay-sqlite-test-" + sdk::testing::unique_token());
        std::filesystem::create_directories(dir);
        config.set_string("path", (dir / "data" / "relay.db").string());
    }
    static void tear_down(TestConfig& config) {
        const std::filesystem::path db(config.string("path"));
        std::error_code ignored;
        std::filesystem::remove_all(db.parent_path().parent_path(), ignored);
    }
};

}  // namespace relay::plugins::sqlite

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract,
                               ::testing::Types<relay::plugins::sqlite::SqliteStoreTraits>);
}  // namespace relay::sdk::testing

namespace relay::plugins::sqlite {
namespace {

struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Db open_raw(const std::string& path) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    return Db(raw);
}

/// EXPLAIN QUERY PLAN's detail lines for `sql`.
std::vector<std::string> query_plan(sqlite3* db, std::string_view sql) {
    const std::string explain = "EXPLAIN QUERY PLAN " + std::string(sql);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::vector<std::string> lines;
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
        lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
    }
    sqlite3_finalize(stmt);
    return lines;
}

sdk::Message make_message(std::string id, std::string room = "r") {
    sdk::Message msg;
    msg.id = std::move(id);
    msg.room = std::move(room);
    msg.ts_ms = 1;
    msg.payload_json = "{}";
    return msg;
}

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override { SqliteStoreTraits::set_up(ctx_.settings()); }
    void TearDown() override {
        stop();
        SqliteStoreTraits::tear_down(ctx_.settings());
    }

    std::error_code start() {
        store_ = std::make_unique<SqliteStore>(parse_settings(ctx_.config()), ctx_);
        Probe<std::error_code> started(ctx_);
        store_->start(started.callback());
        EXPECT_TRUE(started.wait());
        EXPECT_TRUE(started.on_executor());
        return started.done() ? started.get<0>() : make_error_code(sdk::Errc::timed_out);
    }
    void stop() {
        if (!store_) return;
        Probe<std::error_code> stopped(ctx_);
        store_->stop(stopped.callback());
        EXPECT_TRUE(stopped.wait());
        store_.reset();
    }
    std::error_code append(std::vector<sdk::Message> batch) {
        Probe<std::error_code> done(ctx_);
        store_->append(std::move(batch), done.callback());
        EXPECT_TRUE(done.wait());
        return done.done() ? done.get<0>() : make_error_code(sdk::Errc::timed_out);
    }
    std::pair<std::error_code, std::vector<sdk::Message>> history(sdk::HistoryQuery query) {
        Probe<std::error_code, std::vector<sdk::Message>> done(ctx_);
        store_->history("r", std::move(query), done.callback());
        EXPECT_TRUE(done.wait());
        if (!done.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {done.get<0>(), done.get<1>()};
    }
    std::string path() const { return ctx_.config().string("path"); }

    TestContext ctx_{schema(), "store"};
    std::unique_ptr<sdk::Store> store_;
};

TEST(SqliteSettings, DefaultsComeFromTheSchema) {
    const Settings settings = parse_settings(TestConfig(schema(), "store"));
    EXPECT_EQ(settings.path, "relay.db");
    EXPECT_EQ(settings.batch_max, 1000u);
    EXPECT_EQ(settings.busy_timeout, 5s);
    EXPECT_EQ(settings.synchronous, Synchronous::normal);
}

TEST(SqliteSettings, BadValuesAreConfigErrorsNamingTheKey) {
    auto error_of = [](TestConfig config) -> std::string {
        try {
            parse_settings(config);
        } catch (const sdk::ConfigError& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(error_of(TestConfig(schema(), "store").set_integer("batch_max", 0)),
              "test.yaml:1:1: store.batch_max: expected a positive integer, got 0");
    EXPECT_EQ(error_of(TestConfig(schema(), "store").set_string("synchronous", "fast")),
              "test.yaml:1:1: store.synchronous: expected one of off, normal, full, got \"fast\"");
    EXPECT_EQ(error_of(TestConfig(schema(), "store").set_string("path", "")),
              "test.yaml:1:1: store.path: expected a file path, got an empty string");
    EXPECT_EQ(
        parse_settings(TestConfig(schema(), "store").set_string("synchronous", "full")).synchronous,
        Synchronous::full);
}

TEST(SqliteAttachments, EncodingRoundTripsAndRejectsGarbage) {
    const std::vector<std::string> attachments{std::string("\0\x01\xff", 3), "", "abc"};
    const std::string blob = encode_attachments(attachments);
    EXPECT_EQ(blob.size(), 4u + 4 + 3 + 4 + 0 + 4 + 3);
    EXPECT_EQ(decode_attachments(blob), attachments);
    EXPECT_EQ(decode_attachments(encode_attachments({})), std::vector<std::string>{});
    EXPECT_FALSE(decode_attachments(""));
    EXPECT_FALSE(decode_attachments(blob.substr(0, blob.size() - 1)));
    EXPECT_FALSE(decode_attachments(blob + "x"));
    EXPECT_FALSE(decode_attachments(std::string("\xff\xff\xff\xff", 4)));
}

TEST_F(SqliteStoreTest, HistoryQueriesUseTheRoomIndex) {
    ASSERT_FALSE(start());
    auto db = open_raw(path());
    for (auto sql :
         {sql::kHistoryLast, sql::kHistoryBefore, sql::kHistoryAfter, sql::kHistoryBetween}) {
        const auto plan = query_plan(db.get(), sql);
        ASSERT_FALSE(plan.empty());
        bool uses_index = false;
        for (const auto& line : plan) {
            if (line.find("USING INDEX messages_room_id") != std::string::npos ||
                line.find("USING COVERING INDEX messages_room_id") != std::string::npos) {
                uses_index = true;
            }
            EXPECT_EQ(line.find("TEMP B-TREE"), std::string::npos) << sql << ": " << line;
            EXPECT_EQ(line.find("SCAN"), std::string::npos) << sql << ": " << line;
        }
        EXPECT_TRUE(uses_index) << sql << ": " << plan.front();
    }
}

TEST_F(SqliteStoreTest, CreatesTheSchemaInWalMode) {
    ASSERT_FALSE(start());
    EXPECT_TRUE(std::filesystem::exists(path()));
    auto db = open_raw(path());
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    ASSERT_EQ(
        sqlite3_prepare_v2(db.get(), "SELECT version FROM schema_version", -1, &stmt, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
}

TEST_F(SqliteStoreTest, ReopeningTheFileKeepsTheData) {
    ASSERT_FALSE(start());
    std::vector<sdk::Message> batch{make_message("a1"), make_message("a2"), make_message("a3")};
    batch[1].attachments = {std::string("\0bin", 4)};
    ASSERT_FALSE(append(batch));
    stop();
    ASSERT_FALSE(start());
    auto [ec, got] = history({});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, batch);
    // A second start on the same schema version adds no second version row.
    auto db = open_raw(path());
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db.get(), "SELECT count(*) FROM schema_version", -1, &stmt, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
    sqlite3_finalize(stmt);
}

TEST_F(SqliteStoreTest, LargeAppendsAreSplitIntoTransactionsOfBatchMax) {
    ctx_.settings().set_integer("batch_max", 7);
    ASSERT_FALSE(start());
    std::vector<sdk::Message> batch;
    for (int i = 0; i < 30; ++i) batch.push_back(make_message("m" + std::to_string(100 + i)));
    ASSERT_FALSE(append(batch));
    EXPECT_EQ(ctx_.test_metrics().counter_value("sqlite_store_transactions_total"), 5u);
    auto [ec, got] = history(sdk::HistoryQuery{100, {}, {}});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, batch);
}

TEST_F(SqliteStoreTest, TheWalIsCheckpointedByItsOwnThreadBetweenCommits) {
    ASSERT_FALSE(start());
    const auto wal_pages = [&] {
        return ctx_.test_metrics().gauge_value("sqlite_store_wal_pages").value_or(-1);
    };
    int next = 100000;
    const auto append_one = [&] { return append({make_message("g" + std::to_string(next++))}); };
    // Back to back, a few pages of log per commit: past kPages.
    while (wal_pages() < WalCheckpointer::kPages) ASSERT_FALSE(append_one());
    // With gaps between commits, as chat traffic has, the checkpointer's thread catches
    // up and the log starts over at the next commit; the writer never checkpoints.
    EXPECT_TRUE(relay::testing::eventually(
        [&] {
            EXPECT_FALSE(append_one());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return wal_pages() < WalCheckpointer::kPages;
        },
        std::chrono::seconds(20)))
        << wal_pages() << " pages of log";
    EXPECT_GE(ctx_.test_metrics().counter_value("sqlite_store_checkpoints_total"), 1u);
    EXPECT_EQ(ctx_.test_metrics().counter_value("sqlite_store_writer_checkpoints_total"), 0u);
    EXPECT_EQ(ctx_.test_metrics().counter_value("sqlite_store_errors_total"), 0u);
    auto [ec, got] = history(sdk::HistoryQuery{100000, {}, {}});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got.size(), static_cast<std::size_t>(next - 100000));
}

TEST_F(SqliteStoreTest, BackToBackCommitsKeepTheWalBounded) {
    ASSERT_FALSE(start());
    // With no gap for the checkpointer to catch up in, the writer runs the checkpoint
    // itself past kWriterPages (without that the log passed 140 MB here).
    constexpr int kAppends = 16000;
    for (int i = 0; i < kAppends; ++i) {
        ASSERT_FALSE(append({make_message("b" + std::to_string(100000 + i))}));
    }
    // kWriterPages frames of 4 KiB and a header each, and some room for the commits
    // that found the checkpointer's thread busy with a checkpoint of its own.
    EXPECT_LT(std::filesystem::file_size(path() + "-wal"),
              3u * WalCheckpointer::kWriterPages * (4096 + 24) / 2);
    auto [ec, got] = history(sdk::HistoryQuery{kAppends, {}, {}});
    EXPECT_FALSE(ec);
    EXPECT_EQ(got.size(), static_cast<std::size_t>(kAppends));
}

TEST_F(SqliteStoreTest, AFailedWriteReportsTheSqliteErrorWhileReadsGoOn) {
    ctx_.settings().set_duration("busy_timeout", 50ms);
    ASSERT_FALSE(start());
    ASSERT_FALSE(append({make_message("b1")}));

    // Another connection holds the write lock: the append fails after busy_timeout.
    auto other = open_raw(path());
    ASSERT_EQ(sqlite3_exec(other.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    const auto ec = append({make_message("b2")});
    EXPECT_EQ(std::string(ec.category().name()), "sqlite");
    EXPECT_EQ(ec.value() & 0xff, SQLITE_BUSY);
    EXPECT_EQ(ec.message(), "database is locked");
    EXPECT_TRUE(
        ctx_.logger().contains("sqlite store " + path() + ": cannot begin a write transaction"));
    // History still answers from the reader connection.
    auto [read_ec, got] = history({});
    EXPECT_FALSE(read_ec);
    EXPECT_EQ(got, std::vector<sdk::Message>{make_message("b1")});

    ASSERT_EQ(sqlite3_exec(other.get(), "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_FALSE(append({make_message("b2")}));  // the queue's retry succeeds
}

TEST_F(SqliteStoreTest, AnUnopenableFileFailsStartWithTheReason) {
    // The parent "directory" is a file.
    const std::filesystem::path blocker = std::filesystem::path(path()).parent_path();
    std::filesystem::create_directories(blocker.parent_path());
    {
        std::FILE* f = std::fopen(blocker.c_str(), "w");
        ASSERT_TRUE(f);
        std::fclose(f);
    }
    const auto ec = start();
    EXPECT_TRUE(ec);
    EXPECT_TRUE(ctx_.logger().contains("sqlite store " + path() + ": cannot create directory"));
    EXPECT_TRUE(append({make_message("x")}));
}

TEST_F(SqliteStoreTest, CallsAfterStopAnswerShuttingDown) {
    ASSERT_FALSE(start());
    Probe<std::error_code> stopped(ctx_);
    store_->stop(stopped.callback());
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.get<0>());
    EXPECT_EQ(append({make_message("late")}), sdk::Errc::shutting_down);
    EXPECT_EQ(history({}).first, sdk::Errc::shutting_down);
    store_.reset();
}

}  // namespace
}  // namespace relay::plugins::sqlite
