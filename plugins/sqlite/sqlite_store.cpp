#include "sqlite_store.hpp"

#include "wal_checkpointer.hpp"
#include "wal_write_coalescing_vfs.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

namespace relay::plugins::sqlite {

namespace {

class SqliteCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int value) const override { return sqlite3_errstr(value); }
};

struct CloseDb {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Stmt = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

constexpr int kSchemaVersion = 1;
constexpr std::size_t kQueuedBatches = 64;  // appends waiting: at most this many x batch_max

constexpr const char* kCreateSchema =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS messages ("
    " id TEXT NOT NULL PRIMARY KEY,"
    " room TEXT NOT NULL,"
    " ts_ms INTEGER NOT NULL,"
    " sender TEXT,"
    " user TEXT,"
    " payload TEXT NOT NULL,"
    " attachments BLOB,"
    " position TEXT"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id);";

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u32(std::string_view& in, std::uint32_t& v) {
    if (in.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[static_cast<std::size_t>(i)]))
             << (8 * i);
    }
    in.remove_prefix(4);
    return true;
}

std::string column_text(sqlite3_stmt* stmt, int col) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
    const int bytes = sqlite3_column_bytes(stmt, col);
    return text ? std::string(text, static_cast<std::size_t>(bytes)) : std::string();
}

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

}  // namespace

const std::error_category& sqlite_category() noexcept {
    static const SqliteCategory category;
    return category;
}

std::error_code make_sqlite_error(int result_code) noexcept {
    return {result_code, sqlite_category()};
}

std::string encode_attachments(const std::vector<std::string>& attachments) {
    std::size_t total = 4;
    for (const auto& a : attachments) total += 4 + a.size();
    std::string out;
    out.reserve(total);
    put_u32(out, static_cast<std::uint32_t>(attachments.size()));
    for (const auto& a : attachments) {
        put_u32(out, static_cast<std::uint32_t>(a.size()));
        out.append(a);
    }
    return out;
}

std::optional<std::vector<std::string>> decode_attachments(std::string_view blob) {
    std::uint32_t count = 0;
    if (!get_u32(blob, count)) return std::nullopt;
    if (count > blob.size() / 4) return std::nullopt;  // each needs at least its length
    std::vector<std::string> attachments;
    attachments.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint32_t size = 0;
        if (!get_u32(blob, size) || size > blob.size()) return std::nullopt;
        attachments.emplace_back(blob.substr(0, size));
        blob.remove_prefix(size);
    }
    if (!blob.empty()) return std::nullopt;
    return attachments;
}

/// The writer thread owns writer_db_ and its statements; the reader thread (a pool of
/// one) owns reader_db_ and its statements; the queue of appends and the phase are
/// shared under mutex_. Completions capture only the caller's callback, so nothing
/// posted to the executor refers to this object.
class SqliteStore::Core {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          health_(ctx.health()),
          transactions_(ctx.metrics().counter("sqlite_store_transactions_total",
                                              "write transactions committed")),
          written_(ctx.metrics().counter("sqlite_store_messages_written_total",
                                         "messages written (duplicates included)")),
          errors_(ctx.metrics().counter("sqlite_store_errors_total", "failed sqlite operations")),
          queued_gauge_(ctx.metrics().gauge("sqlite_store_queued_messages",
                                            "messages waiting for the writer")),
          checkpointer_({.log = log_,
                         .checkpoints = ctx.metrics().counter(
                             "sqlite_store_checkpoints_total",
                             "WAL checkpoints run off the write path, by their own thread"),
                         .writer_checkpoints = ctx.metrics().counter(
                             "sqlite_store_writer_checkpoints_total",
                             "WAL checkpoints the writer ran itself: the log passed " +
                                 std::to_string(WalCheckpointer::kWriterPages) +
                                 " pages because commits came back to back"),
                         .errors = errors_,
                         .wal_pages = ctx.metrics().gauge(
                             "sqlite_store_wal_pages",
                             "pages in the write-ahead log after the last commit; it starts "
                             "over after a checkpoint that caught up"),
                         .path = settings_.path}) {}

    ~Core() {
        {
            std::lock_guard lock(mutex_);
            if (phase_ == Phase::started) phase_ = Phase::stopping;
        }
        wake_.notify_all();
        if (writer_.joinable()) writer_.join();
        reader_.join();
    }
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;
    Core(Core&&) = delete;
    Core& operator=(Core&&) = delete;

    void start(sdk::Done done) {
        std::unique_lock lock(mutex_);
        if (phase_ != Phase::idle) {
            lock.unlock();
            complete(std::move(done), make_error_code(sdk::Errc::invalid_argument));
            return;
        }
        phase_ = Phase::started;
        writer_ =
            std::thread([this, done = std::move(done)]() mutable { writer_main(std::move(done)); });
    }

    void append(std::vector<sdk::Message> batch, sdk::Done done) {
        std::unique_lock lock(mutex_);
        if (phase_ != Phase::started) {
            lock.unlock();
            complete(std::move(done),
                     make_error_code(phase_ == Phase::idle ? sdk::Errc::unavailable
                                                           : sdk::Errc::shutting_down));
            return;
        }
        if (batch.empty()) {
            lock.unlock();
            complete(std::move(done), {});
            return;
        }
        const std::size_t limit = kQueuedBatches * settings_.batch_max;
        if (queued_messages_ > 0 && queued_messages_ + batch.size() > limit) {
            lock.unlock();
            log_.warn("sqlite store " + settings_.path + ": more than " + std::to_string(limit) +
                      " messages wait for the writer; rejecting an append (increase "
                      "store.batch_max or use a faster disk)");
            complete(std::move(done), make_error_code(sdk::Errc::queue_full));
            return;
        }
        queued_messages_ += batch.size();
        queued_gauge_.set(static_cast<std::int64_t>(queued_messages_));
        queue_.push_back(
            std::make_shared<AppendJob>(AppendJob{std::move(batch), 0, std::move(done), {}}));
        lock.unlock();
        wake_.notify_one();
    }

    void history(std::string room, sdk::HistoryQuery query, sdk::HistoryDone done) {
        boost::asio::post(reader_, [this, room = std::move(room), query = std::move(query),
                                    done = std::move(done)]() mutable {
            std::vector<sdk::Message> found;
            const std::error_code ec = read_history(room, query, found);
            boost::asio::post(executor_,
                              [done = std::move(done), ec, found = std::move(found)]() mutable {
                                  done(ec, std::move(found));
                              });
        });
    }

    void stop(sdk::Done done) {
        std::unique_lock lock(mutex_);
        switch (phase_) {
            case Phase::idle: phase_ = Phase::stopped; [[fallthrough]];
            case Phase::stopped:
                lock.unlock();
                complete(std::move(done), {});
                return;
            case Phase::started:
                phase_ = Phase::stopping;
                stop_waiters_.push_back(std::move(done));
                lock.unlock();
                wake_.notify_all();
                return;
            case Phase::stopping: stop_waiters_.push_back(std::move(done)); return;
        }
    }

private:
    enum class Phase { idle, started, stopping, stopped };

    struct AppendJob {
        std::vector<sdk::Message> messages;
        std::size_t taken = 0;  // messages handed to a transaction so far
        sdk::Done done;
        std::error_code error;  // the first failure among its transactions
    };
    struct Piece {
        std::shared_ptr<AppendJob> job;
        std::size_t begin, end;
    };

    void complete(sdk::Done done, std::error_code ec) {
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec); });
    }

    /// Logs a failed sqlite call with the file and sqlite's own message (`detail`, or
    /// the connection's last message).
    std::error_code fail(sqlite3* db, int rc, std::string_view what, std::string detail = {}) {
        if (detail.empty()) detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        errors_.add();
        log_.error("sqlite store " + settings_.path + ": " + std::string(what) + ": " + detail);
        return make_sqlite_error(rc);
    }

    /// Steps a statement that returns no rows, then resets it.
    static int run(sqlite3_stmt* stmt, std::string& message) {
        const int rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            message = sqlite3_errmsg(sqlite3_db_handle(stmt));
        sqlite3_reset(stmt);
        return rc;
    }

    std::error_code prepare(sqlite3* db, std::string_view sql, Stmt& out) {
        sqlite3_stmt* raw = nullptr;
        const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
        out.reset(raw);
        if (rc != SQLITE_OK) return fail(db, rc, "cannot prepare \"" + std::string(sql) + "\"");
        return {};
    }

    /// Through the VFS that writes a commit's WAL frames in one pwrite (the default VFS
    /// when it could not be registered).
    std::error_code open(int flags, Db& out) {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(settings_.path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX,
                                       wal_write_coalescing_vfs());
        out.reset(raw);
        if (rc != SQLITE_OK) return fail(raw, rc, "cannot open the database");
        sqlite3_extended_result_codes(raw, 1);
        sqlite3_busy_timeout(
            raw, static_cast<int>(std::min<std::int64_t>(settings_.busy_timeout.count(),
                                                         std::numeric_limits<int>::max())));
        return {};
    }

    std::error_code exec(sqlite3* db, const char* sql, std::string_view what) {
        const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return fail(db, rc, what);
        return {};
    }

    static void rollback(sqlite3* db) {
        if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }

    // ---- writer thread ---------------------------------------------------------------

    std::error_code open_writer() {
        const std::filesystem::path file(settings_.path);
        if (file.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(file.parent_path(), ec);
            if (ec) {
                errors_.add();
                log_.error("sqlite store " + settings_.path + ": cannot create directory " +
                           file.parent_path().string() + ": " + ec.message());
                return ec;
            }
        }
        Db db;
        if (auto ec = open(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, db)) return ec;

        // WAL: readers never wait for the writer, and a commit is one append to the log.
        {
            Stmt mode;
            if (auto ec = prepare(db.get(), "PRAGMA journal_mode=WAL", mode)) return ec;
            const int rc = sqlite3_step(mode.get());
            if (rc != SQLITE_ROW) return fail(db.get(), rc, "cannot switch to the WAL journal");
            const std::string got = column_text(mode.get(), 0);
            if (got != "wal") {
                errors_.add();
                log_.error("sqlite store " + settings_.path +
                           ": the WAL journal is not available (journal_mode is " + got + ")");
                return make_sqlite_error(SQLITE_CANTOPEN);
            }
        }
        if (auto ec = set_synchronous(db.get())) return ec;
        if (auto ec = exec(db.get(), "BEGIN IMMEDIATE", "cannot lock the database")) return ec;
        if (auto ec = create_schema(db.get())) {
            rollback(db.get());
            return ec;
        }
        if (auto ec = exec(db.get(), "COMMIT", "cannot create the schema")) {
            rollback(db.get());
            return ec;
        }
        if (auto ec = prepare(db.get(), sql::kInsert, insert_)) return ec;
        if (auto ec = prepare(db.get(), "BEGIN IMMEDIATE", begin_)) return ec;
        if (auto ec = prepare(db.get(), "COMMIT", commit_)) return ec;
        // The checkpointer's connection: a checkpoint fsyncs as its connection's
        // synchronous setting says.
        Db checkpoints;
        if (auto ec = open(SQLITE_OPEN_READWRITE, checkpoints)) return ec;
        if (auto ec = set_synchronous(checkpoints.get())) return ec;
        writer_db_ = std::move(db);
        checkpointer_.attach(writer_db_.get(), checkpoints.release());
        return {};
    }

    std::error_code set_synchronous(sqlite3* db) {
        static constexpr const char* kSynchronous[] = {
            "PRAGMA synchronous=OFF", "PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"};
        return exec(db, kSynchronous[static_cast<int>(settings_.synchronous)],
                    "cannot set synchronous");
    }

    std::error_code create_schema(sqlite3* db) {
        if (auto ec = exec(db, kCreateSchema, "cannot create the schema")) return ec;
        Stmt select;
        if (auto ec = prepare(db, "SELECT max(version) FROM schema_version", select)) return ec;
        const int rc = sqlite3_step(select.get());
        if (rc != SQLITE_ROW) return fail(db, rc, "cannot read the schema version");
        if (sqlite3_column_type(select.get(), 0) == SQLITE_NULL) {
            select.reset();
            return exec(db, "INSERT INTO schema_version (version) VALUES (1)",
                        "cannot record the schema version");
        }
        const auto version = sqlite3_column_int64(select.get(), 0);
        if (version > kSchemaVersion) {
            errors_.add();
            log_.error("sqlite store " + settings_.path + ": the database has schema version " +
                       std::to_string(version) + ", newer than this plugin's (" +
                       std::to_string(kSchemaVersion) + ")");
            return make_sqlite_error(SQLITE_MISMATCH);
        }
        return {};
    }

    void writer_main(sdk::Done started) {
        if (auto ec = open_writer()) {
            open_error_ = ec;
            writer_db_.reset();
            complete(std::move(started), ec);
        } else {
            boost::asio::post(reader_, [this, started = std::move(started)]() mutable {
                complete(std::move(started), open_reader());
            });
        }
        for (;;) {
            std::vector<Piece> pieces;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return !queue_.empty() || phase_ != Phase::started; });
                if (queue_.empty()) break;  // stopping, and every append is written
                // Merge what is waiting into one transaction of at most batch_max.
                std::size_t room = settings_.batch_max;
                while (room > 0 && !queue_.empty()) {
                    auto& job = queue_.front();
                    const std::size_t n = std::min(room, job->messages.size() - job->taken);
                    pieces.push_back({job, job->taken, job->taken + n});
                    job->taken += n;
                    room -= n;
                    queued_messages_ -= n;
                    if (job->taken < job->messages.size()) break;
                    queue_.pop_front();
                }
                queued_gauge_.set(static_cast<std::int64_t>(queued_messages_));
            }
            const std::error_code ec = write(pieces);
            report_health(ec);
            for (auto& piece : pieces) {
                if (ec && !piece.job->error) piece.job->error = ec;
                if (piece.end == piece.job->messages.size()) {
                    complete(std::move(piece.job->done), piece.job->error);
                }
            }
        }
        checkpointer_.detach(writer_db_.get());
        insert_.reset();
        begin_.reset();
        commit_.reset();
        writer_db_.reset();
        // Reads queued before this run first; then the reader closes and stop completes.
        boost::asio::post(reader_, [this] {
            close_reader();
            std::vector<sdk::Done> waiters;
            {
                std::lock_guard lock(mutex_);
                phase_ = Phase::stopped;
                waiters = std::move(stop_waiters_);
                stop_waiters_.clear();
            }
            for (auto& done : waiters) complete(std::move(done), {});
        });
    }

    /// A failed write makes the store unavailable (/readyz 503): acked messages are not
    /// stored (disk full, read-only file, I/O errors); the next write that commits ends it.
    void report_health(std::error_code ec) {
        if (ec && !write_failing_) {
            write_failing_ = true;
            health_.unavailable("cannot write to " + settings_.path + " (" + ec.message() +
                                "); see the log for sqlite's message");
        } else if (!ec && write_failing_) {
            write_failing_ = false;
            log_.info("sqlite store " + settings_.path + ": writes go through again");
            health_.recovered();
        }
    }

    std::error_code write(const std::vector<Piece>& pieces) {
        if (!writer_db_) return open_error_ ? open_error_ : make_error_code(sdk::Errc::unavailable);
        sqlite3* db = writer_db_.get();
        std::string message;
        int rc = run(begin_.get(), message);
        if (rc != SQLITE_DONE) {
            return fail(db, rc, "cannot begin a write transaction", message);
        }
        std::size_t count = 0;
        std::string blob;
        sqlite3_stmt* insert = insert_.get();
        for (const auto& piece : pieces) {
            for (std::size_t i = piece.begin; i < piece.end; ++i) {
                const sdk::Message& msg = piece.job->messages[i];
                bind_text(insert, 1, msg.id);
                bind_text(insert, 2, msg.room);
                sqlite3_bind_int64(insert, 3, msg.ts_ms);
                bind_text(insert, 4, msg.sender);
                bind_text(insert, 5, msg.user);
                bind_text(insert, 6, msg.payload_json);
                if (msg.attachments.empty()) {
                    sqlite3_bind_null(insert, 7);
                } else {
                    blob = encode_attachments(msg.attachments);
                    sqlite3_bind_blob64(insert, 7, blob.data(), blob.size(), SQLITE_STATIC);
                }
                bind_text(insert, 8, msg.position);
                rc = run(insert, message);
                if (rc != SQLITE_DONE) {
                    auto ec = fail(db, rc, "cannot insert message " + msg.id, message);
                    rollback(db);
                    return ec;
                }
                ++count;
            }
        }
        rc = run(commit_.get(), message);
        if (rc != SQLITE_DONE) {
            auto ec =
                fail(db, rc, "cannot commit " + std::to_string(count) + " message(s)", message);
            rollback(db);
            return ec;
        }
        transactions_.add();
        written_.add(count);
        return {};
    }

    // ---- reader thread ---------------------------------------------------------------

    std::error_code open_reader() {
        Db db;
        if (auto ec = open(SQLITE_OPEN_READWRITE, db)) return ec;
        if (auto ec = exec(db.get(), "PRAGMA query_only=1", "cannot open a reader")) return ec;
        if (auto ec = prepare(db.get(), sql::kHistoryLast, last_)) return ec;
        if (auto ec = prepare(db.get(), sql::kHistoryBefore, before_)) return ec;
        if (auto ec = prepare(db.get(), sql::kHistoryAfter, after_)) return ec;
        if (auto ec = prepare(db.get(), sql::kHistoryBetween, between_)) return ec;
        reader_db_ = std::move(db);
        return {};
    }

    void close_reader() {
        last_.reset();
        before_.reset();
        after_.reset();
        between_.reset();
        reader_db_.reset();
    }

    std::error_code read_history(const std::string& room, const sdk::HistoryQuery& query,
                                 std::vector<sdk::Message>& found) {
        if (!reader_db_) {
            std::lock_guard lock(mutex_);
            return make_error_code(phase_ == Phase::stopping || phase_ == Phase::stopped
                                       ? sdk::Errc::shutting_down
                                       : sdk::Errc::unavailable);
        }
        if (query.limit == 0) return {};
        const auto limit = static_cast<sqlite3_int64>(
            std::min<std::size_t>(query.limit, std::numeric_limits<sqlite3_int64>::max()));
        sqlite3_stmt* stmt = nullptr;
        bool newest_first = false;
        int next = 1;
        if (query.before_id.empty() && query.after_id.empty()) {
            stmt = last_.get();
            newest_first = true;
            bind_text(stmt, next++, room);
        } else if (query.after_id.empty()) {
            stmt = before_.get();
            newest_first = true;
            bind_text(stmt, next++, room);
            bind_text(stmt, next++, query.before_id);
        } else if (query.before_id.empty()) {
            stmt = after_.get();
            bind_text(stmt, next++, room);
            bind_text(stmt, next++, query.after_id);
        } else {
            stmt = between_.get();
            bind_text(stmt, next++, room);
            bind_text(stmt, next++, query.after_id);
            bind_text(stmt, next++, query.before_id);
        }
        sqlite3_bind_int64(stmt, next, limit);

        std::error_code ec;
        int rc = SQLITE_OK;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            sdk::Message msg;
            msg.id = column_text(stmt, 0);
            msg.room = column_text(stmt, 1);
            msg.ts_ms = sqlite3_column_int64(stmt, 2);
            msg.sender = column_text(stmt, 3);
            msg.user = column_text(stmt, 4);
            msg.payload_json = column_text(stmt, 5);
            if (sqlite3_column_type(stmt, 6) != SQLITE_NULL) {
                const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, 6));
                const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 6));
                auto attachments = decode_attachments(std::string_view(data ? data : "", size));
                if (!attachments) {
                    errors_.add();
                    log_.error("sqlite store " + settings_.path + ": message " + msg.id +
                               " has malformed attachments");
                    ec = make_sqlite_error(SQLITE_CORRUPT);
                    break;
                }
                msg.attachments = std::move(*attachments);
            }
            msg.position = column_text(stmt, 7);
            found.push_back(std::move(msg));
        }
        if (!ec && rc != SQLITE_DONE) ec = fail(reader_db_.get(), rc, "cannot read history");
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (ec) {
            found.clear();
            return ec;
        }
        if (newest_first) std::reverse(found.begin(), found.end());
        return {};
    }

    const Settings settings_;
    const sdk::Executor executor_;
    sdk::Logger& log_;
    sdk::Health& health_;
    sdk::Counter& transactions_;
    sdk::Counter& written_;
    sdk::Counter& errors_;
    sdk::Gauge& queued_gauge_;

    // Writer thread only (and the constructor/destructor).
    Db writer_db_;
    Stmt insert_, begin_, commit_;
    bool write_failing_ = false;  // the writer thread's
    std::error_code open_error_;
    // Reader thread only.
    Db reader_db_;
    Stmt last_, before_, after_, between_;

    // Shared.
    std::mutex mutex_;
    std::condition_variable wake_;
    Phase phase_ = Phase::idle;
    std::deque<std::shared_ptr<AppendJob>> queue_;
    std::size_t queued_messages_ = 0;
    std::vector<sdk::Done> stop_waiters_;

    WalCheckpointer checkpointer_;  // attached to writer_db_ by the writer thread
    boost::asio::thread_pool reader_{1};
    std::thread writer_;
};

SqliteStore::SqliteStore(Settings settings, sdk::PluginContext& ctx)
    : core_(std::make_unique<Core>(std::move(settings), ctx)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::start(sdk::Done done) {
    core_->start(std::move(done));
}

void SqliteStore::append(std::vector<sdk::Message> batch, sdk::Done done) {
    core_->append(std::move(batch), std::move(done));
}

void SqliteStore::history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) {
    core_->history(std::string(room), std::move(query), std::move(done));
}

void SqliteStore::migrate(sdk::MigrateDone done) {
    // Opening the writer creates the schema, or checks the one there.
    core_->start([done = std::move(done)](std::error_code ec) {
        done(ec, ec ? std::string("cannot open the database (see the log)")
                    : "schema at version " + std::to_string(kSchemaVersion));
    });
}

void SqliteStore::stop(sdk::Done done) {
    core_->stop(std::move(done));
}

}  // namespace relay::plugins::sqlite
