#pragma once
/// WalCheckpointer: copies the write-ahead log back into the database file on a thread
/// of its own, so that no commit waits for a checkpoint.
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace relay::plugins::sqlite {

/// sqlite checkpoints a WAL database inside the commit that takes the log past
/// wal_autocheckpoint pages: copying the log's pages into the file and, with
/// synchronous=normal, the only two fsyncs on the write path. Every ack of that batch,
/// and of the batches queued behind it, waited for it (the p99 of ack latency: 17-22 ms
/// against a p50 of 2.5 ms at 7,200 deliveries/s on the embedded pipeline, 5-6 ms with
/// this class). Here the writer's commit
/// only notes the log's size (sqlite3_wal_hook); past kPages, this thread runs a
/// PASSIVE checkpoint on its own connection, which never blocks the writer, and the log
/// starts over at the first commit after a checkpoint that caught up.
///
/// A checkpoint that runs beside the writer catches up only when it finds a gap between
/// two commits; under back-to-back commits the log would grow without end. Past
/// kWriterPages the writer's commit runs the checkpoint itself, as sqlite would have,
/// so the log stays bounded at the price of that one wait.
///
/// Thread safety: attach() and detach() on the writer's thread (they set the hook on
/// its connection); the hook runs there too. Everything else is this class's thread.
class WalCheckpointer {
public:
    /// sqlite's default wal_autocheckpoint: the log is about 4 MiB at most between
    /// checkpoints with 4 KiB pages, unless a checkpoint falls behind.
    static constexpr int kPages = 1000;
    /// About 40 MiB of log: the writer checkpoints.
    static constexpr int kWriterPages = 10 * kPages;

    struct Reporting {
        sdk::Logger& log;
        sdk::Counter& checkpoints;         ///< by this class's thread
        sdk::Counter& writer_checkpoints;  ///< by the writer, past kWriterPages
        sdk::Counter& errors;
        sdk::Gauge& wal_pages;  ///< in the log after the last commit
        std::string path;       ///< for log lines
    };

    explicit WalCheckpointer(Reporting reporting);
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;
    WalCheckpointer(WalCheckpointer&&) = delete;
    WalCheckpointer& operator=(WalCheckpointer&&) = delete;

    /// Takes `own` (a connection of its own to the same file, with the writer's
    /// synchronous setting) and starts the thread; turns off `writer`'s automatic
    /// checkpoint in favour of this one.
    void attach(sqlite3* writer, sqlite3* own);
    /// Removes the hook from `writer`, stops the thread and closes its connection.
    /// Idempotent.
    void detach(sqlite3* writer);

private:
    static int on_commit(void* self, sqlite3* db, const char* name, int pages);
    void run();

    Reporting reporting_;
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool wanted_ = false;
    bool quit_ = false;
    bool failing_ = false;  // this thread's: warn once per run of failures
};

}  // namespace relay::plugins::sqlite
