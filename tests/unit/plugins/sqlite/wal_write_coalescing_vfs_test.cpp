#include "plugins/sqlite/wal_write_coalescing_vfs.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace relay::plugins::sqlite {
namespace {

struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

constexpr int kPageSize = 4096;
constexpr int kFrameSize = kPageSize + 24;

/// write(2)-family calls by this thread so far (the kernel's per-thread I/O account).
std::int64_t write_calls_of_this_thread() {
    std::ifstream io("/proc/thread-self/io");
    std::string key;
    std::int64_t value = 0;
    while (io >> key >> value) {
        if (key == "syscw:") return value;
    }
    ADD_FAILURE() << "no syscw in /proc/thread-self/io";
    return -1;
}

struct CommitCost {
    std::int64_t writes = 0;
    std::int64_t frames = 0;
};

/// A fresh directory per test, removed after it.
class WalWriteCoalescingVfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("relay-wal-vfs-test-" + sdk::testing::unique_token());
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "test.db").string();
    }
    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    /// A connection through `vfs` (null: the default), in WAL mode with no automatic
    /// checkpoint, so that every commit stays in the log.
    Db open(const char* vfs) const {
        sqlite3* raw = nullptr;
        EXPECT_EQ(
            sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
            SQLITE_OK);
        Db db(raw);
        exec(db.get(),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
             "PRAGMA wal_autocheckpoint=0");
        return db;
    }

    static int exec(sqlite3* db, const std::string& sql) {
        char* error = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
        EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
        sqlite3_free(error);
        return rc;
    }

    static std::int64_t count(sqlite3* db, const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
        std::int64_t n = -1;
        if (stmt && sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return n;
    }

    static std::string integrity(sqlite3* db) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
        std::string result;
        if (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
            result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
        return result;
    }

    /// Rows in `rooms` rooms spread over the index, as the store writes them: each
    /// commit changes the table's last page and one index page per room.
    static std::string insert_sql(int first, int n, int rooms) {
        std::string sql = "BEGIN IMMEDIATE;";
        for (int i = first; i < first + n; ++i) {
            sql += "INSERT INTO messages VALUES (printf('%012d', " + std::to_string(i) +
                   "), 'room-' || (" + std::to_string(i) + " * 7919 % " + std::to_string(rooms) +
                   "), hex(randomblob(60)));";
        }
        return sql + "COMMIT;";
    }

    static void create_schema(sqlite3* db) {
        exec(db,
             "CREATE TABLE messages (id TEXT PRIMARY KEY, room TEXT, payload TEXT) WITHOUT ROWID;"
             "CREATE INDEX messages_room ON messages (room, id);");
    }

    /// One commit of 12 rows in 12 of 100 rooms through `vfs`, into 20,000 rows (so
    /// that each room's rows are on index pages of their own) whose commit wrote the
    /// log's header: the write calls it made and the frames it appended.
    CommitCost commit_cost(const char* vfs) {
        Db db = open(vfs);
        create_schema(db.get());
        exec(db.get(), insert_sql(0, 20000, 100));
        const auto size_before = wal_size();
        const auto writes_before = write_calls_of_this_thread();
        exec(db.get(), insert_sql(20000, 12, 100));
        return {write_calls_of_this_thread() - writes_before,
                static_cast<std::int64_t>((wal_size() - size_before) / kFrameSize)};
    }

    /// For a death test: 20 commits, then SIGKILL, without closing the database.
    void commit_then_die() const {
        Db db = open(wal_write_coalescing_vfs());
        create_schema(db.get());
        for (int i = 0; i < 20; ++i) exec(db.get(), insert_sql(i * 12, 12, 12));
        std::raise(SIGKILL);
        std::_Exit(2);  // not reached
    }

    /// For a death test: one commit, then one that cannot grow the log. Exits with 0
    /// when that commit failed with a write error, 1 when it did not, 2 when the limit
    /// could not be set.
    void commit_then_fail_to_grow() const {
        Db db = open(wal_write_coalescing_vfs());
        create_schema(db.get());
        exec(db.get(), insert_sql(0, 12, 12));
        const auto limit = static_cast<rlim_t>(wal_size() + 100);
        const rlimit fsize{limit, limit};
        if (std::signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &fsize) != 0) {
            std::_Exit(2);
        }
        const int rc =
            sqlite3_exec(db.get(), insert_sql(12, 12, 12).c_str(), nullptr, nullptr, nullptr);
        std::_Exit((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ? 0 : 1);
    }

    std::uintmax_t wal_size() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path_ + "-wal", ec);
        return ec ? 0 : size;
    }

    std::filesystem::path dir_;
    std::string path_;
};

TEST_F(WalWriteCoalescingVfsTest, ACommitReachesTheLogInOneWrite) {
    ASSERT_NE(wal_write_coalescing_vfs(), nullptr);
    const CommitCost plain = commit_cost(nullptr);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const CommitCost coalesced = commit_cost(wal_write_coalescing_vfs());

    // The same commit: a dozen pages or more, a header and a page write each by default.
    EXPECT_GE(plain.frames, 12);
    EXPECT_EQ(coalesced.frames, plain.frames);
    EXPECT_GE(plain.writes, 2 * plain.frames);
    EXPECT_EQ(coalesced.writes, 1);
}

TEST_F(WalWriteCoalescingVfsTest, EveryCommitIsVisibleToAnotherConnectionAtOnce) {
    Db writer = open(wal_write_coalescing_vfs());
    create_schema(writer.get());
    Db reader = open(wal_write_coalescing_vfs());
    for (int i = 0; i < 50; ++i) {
        exec(writer.get(), insert_sql(i * 12, 12, 12));
        ASSERT_EQ(count(reader.get(), "SELECT count(*) FROM messages"), (i + 1) * 12);
    }
    EXPECT_EQ(integrity(reader.get()), "ok");
}

TEST_F(WalWriteCoalescingVfsTest, ATransactionLargerThanTheCacheAndOneWriteCommitsWhole) {
    {
        Db db = open(wal_write_coalescing_vfs());
        create_schema(db.get());
        // A 10-page cache spills pages to the log before the commit, and writes some of
        // them again in place: writes out of order, between the in-order frames.
        exec(db.get(), "PRAGMA cache_size=10");
        exec(db.get(), insert_sql(0, 3000, 97));
        EXPECT_GT(wal_size(), std::uintmax_t{0x1ffff});  // more than the most one write takes
        EXPECT_EQ(count(db.get(), "SELECT count(*) FROM messages"), 3000);
    }
    Db plain = open(nullptr);
    EXPECT_EQ(integrity(plain.get()), "ok");
    EXPECT_EQ(count(plain.get(), "SELECT count(*) FROM messages"), 3000);
}

TEST_F(WalWriteCoalescingVfsTest, APageWrittenAgainBeforeTheCommitKeepsItsLastVersion) {
    {
        Db db = open(wal_write_coalescing_vfs());
        exec(db.get(), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
        exec(db.get(),
             "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
             "WHERE i < 400) INSERT INTO t SELECT i, printf('%-200s', 'start') FROM n;"
             "COMMIT");
        // About 20 pages through a 5-page cache, three times in one transaction: each
        // pass spills its pages to the log, and the next writes them again in place,
        // out of order between the frames appended in order.
        exec(db.get(), "PRAGMA cache_size=5");
        exec(db.get(),
             "BEGIN;"
             "UPDATE t SET v = printf('%-200s', 'pass 1');"
             "UPDATE t SET v = printf('%-200s', 'pass 2');"
             "UPDATE t SET v = printf('%-200s', 'pass 3');"
             "COMMIT");
    }
    Db plain = open(nullptr);
    EXPECT_EQ(integrity(plain.get()), "ok");
    EXPECT_EQ(count(plain.get(), "SELECT count(*) FROM t WHERE v = printf('%-200s', 'pass 3')"),
              400);
}

TEST_F(WalWriteCoalescingVfsTest, WhatCommittedSurvivesTheProcessBeingKilled) {
    // The child commits and dies by SIGKILL without closing: the log is all there is.
    EXPECT_EXIT(commit_then_die(), ::testing::KilledBySignal(SIGKILL), "");
    ASSERT_GT(wal_size(), std::uintmax_t{0});
    Db plain = open(nullptr);
    EXPECT_EQ(integrity(plain.get()), "ok");
    EXPECT_EQ(count(plain.get(), "SELECT count(*) FROM messages"), 240);
}

TEST_F(WalWriteCoalescingVfsTest, AFailedWriteFailsTheCommitAndKeepsWhatCommittedBefore) {
    // The child commits, then lets no file grow by more than a few bytes (RLIMIT_FSIZE;
    // SIGXFSZ ignored, so the write fails with EFBIG) and commits again: that commit
    // must fail, as with the default VFS. Exit code 0: it did.
    EXPECT_EXIT(commit_then_fail_to_grow(), ::testing::ExitedWithCode(0), "");
    Db plain = open(nullptr);
    EXPECT_EQ(integrity(plain.get()), "ok");
    EXPECT_EQ(count(plain.get(), "SELECT count(*) FROM messages"), 12);
}

}  // namespace
}  // namespace relay::plugins::sqlite
