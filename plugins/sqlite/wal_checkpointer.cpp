#include "wal_checkpointer.hpp"

#include <sqlite3.h>

#include <utility>

namespace relay::plugins::sqlite {

WalCheckpointer::WalCheckpointer(Reporting reporting)
    : reporting_(std::move(reporting)), db_(nullptr, &sqlite3_close_v2) {}

WalCheckpointer::~WalCheckpointer() {
    detach(nullptr);
}

void WalCheckpointer::attach(sqlite3* writer, sqlite3* own) {
    db_.reset(own);
    quit_ = false;
    wanted_ = false;
    // Replaces the automatic checkpoint, which is a WAL hook too.
    sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, this);
    thread_ = std::thread([this] { run(); });
}

void WalCheckpointer::detach(sqlite3* writer) {
    if (writer) sqlite3_wal_hook(writer, nullptr, nullptr);
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    db_.reset();
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* name, int pages) {
    auto& checkpointer = *static_cast<WalCheckpointer*>(self);
    checkpointer.reporting_.wal_pages.set(pages);
    if (pages < kPages) return SQLITE_OK;
    if (pages >= kWriterPages) {
        // What sqlite's own hook does; an error here leaves the commit committed.
        if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
            SQLITE_OK) {
            checkpointer.reporting_.writer_checkpoints.add();
        }
        return SQLITE_OK;
    }
    {
        std::lock_guard lock(checkpointer.mutex_);
        if (checkpointer.wanted_) return SQLITE_OK;
        checkpointer.wanted_ = true;
    }
    checkpointer.wake_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return wanted_ || quit_; });
            if (quit_) return;
        }
        const int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 nullptr, nullptr);
        if (rc == SQLITE_OK) {
            reporting_.checkpoints.add();
            if (failing_) {
                reporting_.log.info("sqlite store " + reporting_.path +
                                    ": checkpoints go through again");
            }
            failing_ = false;
        } else if (rc != SQLITE_BUSY) {  // busy: another connection checkpoints; next time
            // The writer goes on; the log grows until a checkpoint succeeds.
            reporting_.errors.add();
            if (!failing_) {
                reporting_.log.warn("sqlite store " + reporting_.path +
                                    ": cannot checkpoint the WAL (it grows until a checkpoint "
                                    "succeeds): " +
                                    sqlite3_errmsg(db_.get()));
            }
            failing_ = true;
        }
        // Commits during the checkpoint found it asked for already; the first commit
        // after it asks again while the log is still long.
        std::lock_guard lock(mutex_);
        wanted_ = false;
    }
}

}  // namespace relay::plugins::sqlite
