#include "postgres_store.hpp"

#include "migrations.hpp"
#include "pg_codec.hpp"
#include "pg_connection.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <utility>

namespace relay::plugins::postgres {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxBatchesInFlight = 2;
constexpr std::size_t kQueuedBatches = 64;  // appends waiting: at most this many x batch_max
// pg_advisory_xact_lock key serialising migrations between nodes ("relay" in ASCII).
constexpr std::int64_t kMigrationLock = 0x72656c6179;

std::string be_int4(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
            static_cast<char>(u)};
}

std::string be_int8(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[static_cast<std::size_t>(i)] = static_cast<char>(u >> (56 - 8 * i));
    return out;
}

std::size_t message_bytes(const sdk::Message& m) {
    std::size_t n = m.id.size() + m.room.size() + m.sender.size() + m.user.size() +
                    m.payload_json.size() + m.position.size() + 64;
    for (const auto& a : m.attachments) n += a.size() + 4;
    return n;
}

std::string_view field(const PGresult* r, int row, int col) {
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}

}  // namespace

/// Everything runs on the plugin's executor: the public members post there. Async
/// handlers hold a shared_ptr to the core, so it outlives the store object until the
/// last of them ran (or was destroyed with the io_context).
class PostgresStore::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          target_{settings_.dsn, settings_.overrides},
          where_(describe(target_)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          batches_(ctx.metrics().counter("postgres_store_batches_total",
                                         "write transactions committed")),
          written_(ctx.metrics().counter("postgres_store_messages_written_total",
                                         "messages written (duplicates included)")),
          duplicates_(ctx.metrics().counter("postgres_store_duplicates_total",
                                            "messages skipped because their id was stored")),
          errors_(ctx.metrics().counter("postgres_store_errors_total",
                                        "failed statements and connection losses")),
          reconnects_(ctx.metrics().counter("postgres_store_reconnects_total",
                                            "connections re-established after a loss")),
          queries_(ctx.metrics().counter("postgres_store_history_queries_total",
                                         "history queries answered")),
          history_failures_(ctx.metrics().counter(
              "postgres_store_history_failures_total",
              "history queries failed: an SQL error, the server out of reach, history_timeout")),
          health_(ctx.health()),
          queued_gauge_(ctx.metrics().gauge("postgres_store_queued_messages",
                                            "messages waiting for the writer")),
          writer_timer_(executor_),
          delay_timer_(executor_),
          sweep_timer_(executor_),
          rng_(std::random_device{}()) {
        readers_.resize(settings_.pool_size);
        for (auto& reader : readers_) {
            reader.timer = std::make_unique<boost::asio::steady_timer>(executor_);
            reader.backoff = settings_.retry_backoff;
        }
    }

    ~Core() {
        try {
            close_all();
        } catch (const std::exception&) {  // timers that cannot cancel: nothing else to do
        }
    }
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;
    Core(Core&&) = delete;
    Core& operator=(Core&&) = delete;

    const sdk::Executor& executor() const noexcept { return executor_; }

    // ---- entry points (on the executor) ------------------------------------------

    void start(sdk::Done done) {
        if (phase_ != Phase::idle) {
            done(make_error_code(phase_ == Phase::stopping || phase_ == Phase::stopped
                                     ? sdk::Errc::shutting_down
                                     : sdk::Errc::invalid_argument));
            return;
        }
        phase_ = Phase::starting;
        start_done_ = std::move(done);
        writer_ = make_connection();
        register_writer_lost();
        writer_->connect(target_, settings_.connect_timeout, writer_setup(false),
                         [this, self = shared_from_this()](const std::string& error) {
                             if (phase_ != Phase::starting) return;
                             if (!error.empty()) {
                                 fail_start(make_error_code(sdk::Errc::unavailable),
                                            "cannot connect: " + error);
                                 return;
                             }
                             migrate();
                         });
    }

    /// start()'s connection and migrations, then closes instead of going on to the
    /// readers: `relay migrate`.
    void migrate_only(sdk::MigrateDone done) {
        migrate_done_ = std::move(done);
        start([this, self = shared_from_this()](std::error_code ec) {
            // Only failures come here; a migration that worked completes in
            // apply_migrations().
            if (auto migrated = std::move(migrate_done_)) migrated(ec, start_error_);
        });
    }

    void append(std::vector<sdk::Message> batch, sdk::Done done) {
        if (phase_ != Phase::started) {
            done(make_error_code(phase_ == Phase::stopping || phase_ == Phase::stopped
                                     ? sdk::Errc::shutting_down
                                     : sdk::Errc::unavailable));
            return;
        }
        if (batch.empty()) {
            done({});
            return;
        }
        const std::size_t limit = kQueuedBatches * settings_.batch_max;
        if (queued_messages_ > 0 && queued_messages_ + batch.size() > limit) {
            log_.warn("postgres store " + where_ + ": more than " + std::to_string(limit) +
                      " messages wait for the writer; rejecting an append (increase "
                      "store.batch_max, or check the database)");
            done(make_error_code(sdk::Errc::queue_full));
            return;
        }
        auto job = std::make_shared<Job>();
        job->unresolved = batch.size();
        job->messages = std::move(batch);
        job->done = std::move(done);
        job->arrived = Clock::now();
        queued_messages_ += job->messages.size();
        queued_gauge_.set(static_cast<std::int64_t>(queued_messages_));
        ++active_jobs_;
        queue_.push_back(std::move(job));
        maybe_write();
        ensure_sweep();
    }

    void history(std::string room, sdk::HistoryQuery query, sdk::HistoryDone done) {
        if (phase_ != Phase::started) {
            done(make_error_code(phase_ == Phase::stopping || phase_ == Phase::stopped
                                     ? sdk::Errc::shutting_down
                                     : sdk::Errc::unavailable),
                 {});
            return;
        }
        if (query.limit == 0) {
            done({}, {});
            return;
        }
        if (unreachable_ && !reader_up()) {
            // The server is out of reach: answer now rather than after history_timeout.
            history_failures_.add();
            done(make_error_code(sdk::Errc::unavailable), {});
            return;
        }
        reads_.push_back(Read{std::move(room), std::move(query), std::move(done), Clock::now()});
        ++active_reads_;
        dispatch_reads();
        ensure_sweep();
    }

    void stop(sdk::Done done) {
        switch (phase_) {
            case Phase::idle:
            case Phase::failed:
            case Phase::stopped:
                phase_ = Phase::stopped;
                close_all();
                done({});
                return;
            case Phase::starting:
                fail_start(make_error_code(sdk::Errc::shutting_down), "stopped while starting");
                phase_ = Phase::stopped;
                done({});
                return;
            case Phase::started:
            case Phase::stopping:
                phase_ = Phase::stopping;
                stop_waiters_.push_back(std::move(done));
                maybe_write();  // no more waiting for batch_delay
                maybe_finish_stop();
                return;
        }
    }

    /// The store object is gone without stop(): answer what is pending, close.
    void abandon() {
        if (phase_ == Phase::starting) {
            fail_start(make_error_code(sdk::Errc::shutting_down), "destroyed while starting");
        }
        phase_ = Phase::stopped;
        const auto ec = make_error_code(sdk::Errc::shutting_down);
        auto jobs = std::move(queue_);
        for (auto& batch : retry_) {
            for (auto& piece : batch.pieces) jobs.push_back(piece.job);
        }
        for (auto& batch : in_flight_) {
            for (auto& piece : batch.pieces) jobs.push_back(piece.job);
        }
        retry_.clear();
        in_flight_.clear();
        for (auto& job : jobs) complete(*job, ec);
        auto reads = std::move(reads_);
        for (auto& reader : readers_) {
            if (reader.current) reads.push_back(std::move(*reader.current));
            reader.current.reset();
        }
        for (auto& read : reads) finish_read(read, ec, {});
        close_all();
        auto waiters = std::move(stop_waiters_);
        for (auto& done : waiters) done({});
    }

private:
    enum class Phase { idle, starting, started, stopping, stopped, failed };

    struct Job {
        std::vector<sdk::Message> messages;
        std::size_t taken = 0;       // messages handed to batches
        std::size_t unresolved = 0;  // messages not yet committed
        sdk::Done done;
        Clock::time_point arrived;
        bool completed = false;
    };
    struct Piece {
        std::shared_ptr<Job> job;
        std::size_t begin = 0;
        std::size_t end = 0;
    };
    struct Batch {
        std::uint64_t seq = 0;
        std::vector<Piece> pieces;
        std::size_t messages = 0;
    };
    struct Read {
        std::string room;
        sdk::HistoryQuery query;
        sdk::HistoryDone done;
        Clock::time_point arrived;
    };
    struct Reader {
        std::shared_ptr<Connection> conn;
        bool up = false;
        std::optional<Read> current;
        milliseconds backoff{0};
        std::unique_ptr<boost::asio::steady_timer> timer;
    };

    std::shared_ptr<Connection> make_connection() {
        return std::make_shared<Connection>(executor_, log_);
    }

    /// Statements every new session runs first.
    std::vector<Statement> session_setup() const {
        std::vector<Statement> setup;
        setup.push_back(Statement::query("SELECT set_config('statement_timeout', $1, false)",
                                         {std::to_string(settings_.statement_timeout.count())},
                                         {codec::kText}));
        return setup;
    }

    /// The writer's session; `prepared`: the schema exists, prepare the insert too.
    std::vector<Statement> writer_setup(bool prepared) const {
        auto setup = session_setup();
        // The insert's plan does not depend on its values, and a custom plan would
        // copy the batch's arrays into the plan (measured: 7-20 % slower at
        // 1000-5000 rows; plugins/postgres/README.md).
        setup.push_back(
            Statement::query("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)"));
        if (prepared) setup.push_back(prepare_insert());
        return setup;
    }

    static Statement prepare_insert() {
        return Statement::prepare(
            statement_name::kInsert, std::string(sql::kInsert),
            {codec::kTextArray, codec::kTextArray, codec::kInt8Array, codec::kTextArray,
             codec::kTextArray, codec::kTextArray, codec::kByteaArray, codec::kInt4Array,
             codec::kInt4Array, codec::kTextArray});
    }

    std::vector<Statement> reader_setup() const {
        auto setup = session_setup();
        setup.push_back(Statement::prepare(statement_name::kLast, std::string(sql::kHistoryLast),
                                           {codec::kText, codec::kInt8}));
        setup.push_back(Statement::prepare(statement_name::kBefore,
                                           std::string(sql::kHistoryBefore),
                                           {codec::kText, codec::kText, codec::kInt8}));
        setup.push_back(Statement::prepare(statement_name::kAfter, std::string(sql::kHistoryAfter),
                                           {codec::kText, codec::kText, codec::kInt8}));
        setup.push_back(
            Statement::prepare(statement_name::kBetween, std::string(sql::kHistoryBetween),
                               {codec::kText, codec::kText, codec::kText, codec::kInt8}));
        // Reads never write: a bug that tried would fail instead of writing.
        setup.push_back(Statement::query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
        return setup;
    }

    milliseconds next_backoff(milliseconds& backoff) {
        const milliseconds wait = backoff;
        backoff = std::min(backoff * 2, settings_.retry_backoff_max);
        // +-20 % jitter, so that nodes that lost the server together do not return
        // together.
        std::uniform_real_distribution<double> jitter(0.8, 1.2);
        return milliseconds(std::max<std::int64_t>(
            1, static_cast<std::int64_t>(static_cast<double>(wait.count()) * jitter(rng_))));
    }

    // ---- start and migrations ----------------------------------------------------

    void fail_start(std::error_code ec, const std::string& message) {
        errors_.add();
        log_.error("postgres store " + where_ + ": " + message);
        start_error_ = message;
        close_all();
        phase_ = Phase::failed;
        if (auto done = std::move(start_done_)) done(ec);
    }

    void migrate() {
        std::vector<Statement> check;
        check.push_back(Statement::query("BEGIN"));
        // Nodes starting together migrate one after the other.
        check.push_back(Statement::query("SELECT pg_advisory_xact_lock($1)",
                                         {be_int8(kMigrationLock)}, {codec::kInt8}));
        check.push_back(
            Statement::query("CREATE TABLE IF NOT EXISTS relay_schema_migrations ("
                             " version integer PRIMARY KEY,"
                             " description text NOT NULL,"
                             " applied_at timestamptz NOT NULL DEFAULT now())"));
        check.push_back(Statement::query(
            "SELECT coalesce(max(version), 0)::int8 FROM relay_schema_migrations"));
        writer_->send(check, [this, self = shared_from_this()](const Outcome& outcome) {
            if (phase_ != Phase::starting) return;
            if (outcome.status != Outcome::Status::ok) {
                migration_failed(outcome, "cannot read the schema version");
                return;
            }
            const PGresult* r = outcome.results.back().get();
            const auto version =
                PQntuples(r) == 1 ? codec::parse_int8(field(r, 0, 0)) : std::nullopt;
            if (!version) {
                fail_start(make_error_code(sdk::Errc::unavailable),
                           "cannot read the schema version: unexpected answer");
                return;
            }
            apply_migrations(static_cast<int>(*version));
        });
    }

    void apply_migrations(int current) {
        if (current > kSchemaVersion) {
            const auto ec = make_schema_too_new_error(current, kSchemaVersion);
            fail_start(ec, ec.message());  // closing the connection rolls back
            return;
        }
        std::vector<Statement> apply;
        std::string applied;
        for (const auto& migration : kMigrations) {
            if (migration.version <= current) continue;
            for (auto statement : migration.statements) {
                apply.push_back(Statement::query(std::string(statement)));
            }
            apply.push_back(Statement::query(
                "INSERT INTO relay_schema_migrations (version, description) VALUES ($1, $2)",
                {be_int4(migration.version), std::string(migration.description)},
                {codec::kInt4, codec::kText}));
            applied += (applied.empty() ? "" : ", ") + std::to_string(migration.version) + " (" +
                       std::string(migration.description) + ")";
        }
        apply.push_back(Statement::query("COMMIT"));
        apply.push_back(prepare_insert());
        writer_->send(apply, [this, self = shared_from_this(), current,
                              applied](const Outcome& outcome) {
            if (phase_ != Phase::starting) return;
            if (outcome.status != Outcome::Status::ok) {
                migration_failed(outcome, "cannot migrate the schema from version " +
                                              std::to_string(current) + " to " +
                                              std::to_string(kSchemaVersion));
                return;
            }
            if (!applied.empty()) {
                log_.info("postgres store " + where_ + ": applied schema migration(s) " + applied);
            }
            if (auto migrated = std::move(migrate_done_)) {
                close_all();
                phase_ = Phase::stopped;
                start_done_ = nullptr;
                migrated({}, "schema at version " + std::to_string(kSchemaVersion) +
                                 (applied.empty() ? " (up to date)"
                                                  : "; applied migration(s) " + applied));
                return;
            }
            writer_up_ = true;
            connect_readers_for_start();
        });
    }

    void migration_failed(const Outcome& outcome, const std::string& what) {
        if (outcome.status == Outcome::Status::failed) {
            fail_start(make_postgres_error(outcome.sqlstate), what + ": " + outcome.message);
        } else {
            fail_start(make_error_code(sdk::Errc::unavailable), what + ": " + outcome.message);
        }
    }

    void connect_readers_for_start() {
        starting_readers_ = readers_.size();
        for (std::size_t i = 0; i < readers_.size(); ++i) {
            connect_reader(i, [this](std::size_t, const std::string& error) {
                if (phase_ != Phase::starting) return;
                if (!error.empty()) {
                    fail_start(make_error_code(sdk::Errc::unavailable),
                               "cannot connect a reader: " + error);
                    return;
                }
                if (--starting_readers_ > 0) return;
                phase_ = Phase::started;
                log_.info("postgres store " + where_ + ": ready (schema version " +
                          std::to_string(kSchemaVersion) + ", " + std::to_string(readers_.size()) +
                          " reader(s))");
                if (auto done = std::move(start_done_)) done({});
                maybe_write();
                dispatch_reads();
            });
        }
    }

    // ---- the writer ----------------------------------------------------------------

    void register_writer_lost() {
        writer_->on_lost(
            [this, self = shared_from_this(), conn = writer_.get()](const std::string& error) {
                if (writer_.get() != conn) return;
                writer_lost(error);
            });
    }

    void writer_lost(const std::string& error) {
        writer_up_ = false;
        errors_.add();
        if (phase_ == Phase::started && !unavailable_) {
            unavailable_ = true;
            health_.unavailable("lost the connection to Postgres at " + where_ + " (" + error +
                                "); writes wait up to store.retry_timeout (" +
                                std::to_string(settings_.retry_timeout.count()) +
                                " ms), history fails until it is back");
        }
        log_.warn("postgres store " + where_ + ": lost the writer connection (" + error + "); " +
                  std::to_string(in_flight_.size()) +
                  " batch(es) in flight will be written again after reconnecting");
        // Unknown whether they committed: write them again (the insert is idempotent).
        retry_.insert(retry_.begin(), std::make_move_iterator(in_flight_.begin()),
                      std::make_move_iterator(in_flight_.end()));
        in_flight_.clear();
        schedule_writer_reconnect();
        ensure_sweep();
    }

    void schedule_writer_reconnect() {
        writer_timer_.expires_after(next_backoff(writer_backoff_));
        writer_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
            if (ec || phase_ == Phase::stopped || phase_ == Phase::failed) return;
            reconnect_writer();
        });
    }

    void reconnect_writer() {
        writer_ = make_connection();
        register_writer_lost();
        writer_->connect(
            target_, settings_.connect_timeout, writer_setup(true),
            [this, self = shared_from_this(), conn = writer_.get()](const std::string& error) {
                if (writer_.get() != conn || phase_ == Phase::stopped) return;
                if (!error.empty()) {
                    log_.debug("postgres store " + where_ + ": reconnecting the writer: " + error);
                    // Not a lost connection but a server out of reach: history waiting
                    // for a reader fails now, and from now on at once.
                    unreachable_ = true;
                    fail_waiting_reads();
                    schedule_writer_reconnect();
                    return;
                }
                unreachable_ = false;
                reconnects_.add();
                log_.info("postgres store " + where_ + ": writer reconnected; writing " +
                          std::to_string(retry_.size()) + " batch(es) again");
                writer_up_ = true;
                writer_backoff_ = settings_.retry_backoff;
                // With nothing to write, the answered set-up statements are the proof
                // that writes go through; else the first committed batch is.
                if (retry_.empty() && queued_messages_ == 0) writes_flow();
                maybe_write();
            });
    }

    /// While no reader is up: the queued history queries fail with unavailable.
    void fail_waiting_reads() {
        if (reader_up()) return;
        auto waiting = std::move(reads_);
        reads_.clear();
        history_failures_.add(waiting.size());
        for (auto& read : waiting) finish_read(read, make_error_code(sdk::Errc::unavailable), {});
        maybe_finish_stop();
    }

    void writes_flow() {
        if (!unavailable_) return;
        unavailable_ = false;
        log_.info("postgres store " + where_ + ": writes go through again");
        health_.recovered();
    }

    bool reader_up() const {
        return std::any_of(readers_.begin(), readers_.end(),
                           [](const Reader& r) { return r.up && r.conn && r.conn->ready(); });
    }

    bool writer_usable() const { return writer_up_ && writer_ && writer_->ready(); }

    void maybe_write() {
        while (writer_usable() && in_flight_.size() < kMaxBatchesInFlight) {
            if (!retry_.empty()) {
                Batch batch = std::move(retry_.front());
                retry_.pop_front();
                drop_completed(batch);
                if (batch.messages > 0) send_batch(std::move(batch));
                continue;
            }
            drop_completed_front();
            if (queued_messages_ == 0) return;
            const bool full = queued_messages_ >= settings_.batch_max;
            // Group commit: while a batch is in flight, the next one grows until it is
            // full; a second one goes out in the same pipeline only when it is.
            if (!in_flight_.empty() && !full) return;
            if (!full && settings_.batch_delay.count() > 0 && phase_ == Phase::started) {
                const auto due = queue_.front()->arrived + settings_.batch_delay;
                if (Clock::now() < due) {
                    arm_delay(due);
                    return;
                }
            }
            send_batch(take_batch());
        }
    }

    void arm_delay(Clock::time_point due) {
        if (delay_armed_) return;
        delay_armed_ = true;
        delay_timer_.expires_at(due);
        delay_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
            delay_armed_ = false;
            if (ec) return;
            maybe_write();
        });
    }

    void drop_completed_front() {
        while (!queue_.empty() && queue_.front()->completed) {
            queued_messages_ -= queue_.front()->messages.size() - queue_.front()->taken;
            queue_.pop_front();
        }
        queued_gauge_.set(static_cast<std::int64_t>(queued_messages_));
    }

    static void drop_completed(Batch& batch) {
        std::erase_if(batch.pieces, [](const Piece& p) { return p.job->completed; });
        batch.messages = 0;
        for (const auto& p : batch.pieces) batch.messages += p.end - p.begin;
    }

    Batch take_batch() {
        Batch batch;
        batch.seq = ++batch_seq_;
        std::size_t bytes = 0;
        bool full = false;
        while (!full && !queue_.empty()) {
            auto& job = queue_.front();
            if (job->completed) {
                drop_completed_front();
                continue;
            }
            const std::size_t begin = job->taken;
            std::size_t end = begin;
            while (end < job->messages.size()) {
                if (batch.messages + (end - begin) >= settings_.batch_max) {
                    full = true;
                    break;
                }
                const std::size_t size = message_bytes(job->messages[end]);
                if (batch.messages + (end - begin) > 0 &&
                    bytes + size > settings_.batch_max_bytes) {
                    full = true;
                    break;
                }
                bytes += size;
                ++end;
            }
            if (end > begin) {
                batch.pieces.push_back({job, begin, end});
                batch.messages += end - begin;
                job->taken = end;
                queued_messages_ -= end - begin;
            }
            if (job->taken == job->messages.size()) queue_.pop_front();
        }
        queued_gauge_.set(static_cast<std::int64_t>(queued_messages_));
        return batch;
    }

    static Statement insert_statement(const Batch& batch) {
        std::size_t text_bytes = 0;
        for (const auto& piece : batch.pieces) {
            for (std::size_t i = piece.begin; i < piece.end; ++i) {
                text_bytes += piece.job->messages[i].payload_json.size();
            }
        }
        const std::size_t n = batch.messages;
        // Reserved for typical sizes, so that a batch is built without reallocation.
        codec::ArrayBuilder ids(codec::kText, n * 36);
        codec::ArrayBuilder rooms(codec::kText, n * 24);
        codec::ArrayBuilder ts(codec::kInt8, n * 12);
        codec::ArrayBuilder senders(codec::kText, n * 28);
        codec::ArrayBuilder users(codec::kText, n * 16);
        codec::ArrayBuilder payloads(codec::kText, text_bytes + n * 4);
        codec::ArrayBuilder attachments(codec::kBytea);
        codec::ArrayBuilder firsts(codec::kInt4, n * 8);
        codec::ArrayBuilder counts(codec::kInt4, n * 8);
        codec::ArrayBuilder positions(codec::kText, n * 16);
        std::int32_t next = 1;
        for (const auto& piece : batch.pieces) {
            for (std::size_t i = piece.begin; i < piece.end; ++i) {
                const sdk::Message& m = piece.job->messages[i];
                ids.add(m.id);
                rooms.add(m.room);
                ts.add_int8(m.ts_ms);
                senders.add(m.sender);
                users.add(m.user);
                payloads.add(m.payload_json);
                firsts.add_int4(next);
                counts.add_int4(static_cast<std::int32_t>(m.attachments.size()));
                for (const auto& a : m.attachments) attachments.add(a);
                next += static_cast<std::int32_t>(m.attachments.size());
                positions.add(m.position);
            }
        }
        return Statement::execute(
            statement_name::kInsert,
            {std::move(ids).finish(), std::move(rooms).finish(), std::move(ts).finish(),
             std::move(senders).finish(), std::move(users).finish(), std::move(payloads).finish(),
             std::move(attachments).finish(), std::move(firsts).finish(),
             std::move(counts).finish(), std::move(positions).finish()});
    }

    void send_batch(Batch batch) {
        std::vector<Statement> statements;
        statements.push_back(insert_statement(batch));
        const auto seq = batch.seq;
        in_flight_.push_back(std::move(batch));
        writer_->send(statements, [this, self = shared_from_this(), seq](const Outcome& outcome) {
            // A lost batch stays in in_flight_: the lost handler, which runs
            // next, queues it again.
            if (outcome.status == Outcome::Status::lost) return;
            batch_done(seq, outcome);
        });
    }

    void batch_done(std::uint64_t seq, const Outcome& outcome) {
        auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                               [seq](const Batch& b) { return b.seq == seq; });
        if (it == in_flight_.end()) return;  // answered already (abandoned)
        Batch batch = std::move(*it);
        in_flight_.erase(it);
        if (outcome.status == Outcome::Status::ok) {
            const char* tuples = PQcmdTuples(outcome.results.front().get());
            const auto inserted = static_cast<std::size_t>(std::strtoull(tuples, nullptr, 10));
            batches_.add();
            written_.add(batch.messages);
            if (inserted < batch.messages) duplicates_.add(batch.messages - inserted);
            writes_flow();
            resolve(batch, {});
        } else {
            errors_.add();
            const auto& first = batch.pieces.front().job->messages[batch.pieces.front().begin];
            log_.error("postgres store " + where_ + ": cannot write " +
                       std::to_string(batch.messages) + " message(s) (first id " + first.id +
                       "): " + outcome.message);
            resolve(batch, make_postgres_error(outcome.sqlstate));
        }
        maybe_write();
        maybe_finish_stop();
    }

    void resolve(const Batch& batch, std::error_code ec) {
        for (const auto& piece : batch.pieces) {
            Job& job = *piece.job;
            if (job.completed) continue;
            if (ec) {
                complete(job, ec);  // at once: the queue delivers the whole batch again
                continue;
            }
            job.unresolved -= piece.end - piece.begin;
            if (job.unresolved == 0) complete(job, {});
        }
    }

    void complete(Job& job, std::error_code ec) {
        if (job.completed) return;
        job.completed = true;
        --active_jobs_;
        auto done = std::move(job.done);
        job.done = nullptr;
        if (done) done(ec);
    }

    // ---- the readers ---------------------------------------------------------------

    using ReaderConnected = std::function<void(std::size_t, const std::string&)>;

    void connect_reader(std::size_t index, ReaderConnected then) {
        Reader& reader = readers_[index];
        reader.conn = make_connection();
        reader.up = false;
        Connection* conn = reader.conn.get();
        reader.conn->on_lost(
            [this, self = shared_from_this(), index, conn](const std::string& error) {
                if (readers_[index].conn.get() != conn) return;
                reader_lost(index, error);
            });
        reader.conn->connect(target_, settings_.connect_timeout, reader_setup(),
                             [this, self = shared_from_this(), index, conn,
                              then = std::move(then)](const std::string& error) {
                                 Reader& r = readers_[index];
                                 if (r.conn.get() != conn || phase_ == Phase::stopped) return;
                                 if (error.empty()) {
                                     r.up = true;
                                     r.backoff = settings_.retry_backoff;
                                 }
                                 then(index, error);
                             });
    }

    void reader_lost(std::size_t index, const std::string& error) {
        Reader& reader = readers_[index];
        reader.up = false;
        errors_.add();
        log_.warn("postgres store " + where_ + ": lost reader connection " + std::to_string(index) +
                  " (" + error + "); reconnecting");
        if (reader.current) {
            if (reader.current->done) reads_.push_front(std::move(*reader.current));
            reader.current.reset();
        }
        schedule_reader_reconnect(index);
        dispatch_reads();
        ensure_sweep();
    }

    void schedule_reader_reconnect(std::size_t index) {
        Reader& reader = readers_[index];
        reader.timer->expires_after(next_backoff(reader.backoff));
        reader.timer->async_wait(
            [this, self = shared_from_this(), index](boost::system::error_code ec) {
                if (ec || phase_ == Phase::stopped || phase_ == Phase::failed) return;
                connect_reader(index, [this](std::size_t i, const std::string& error) {
                    if (!error.empty()) {
                        log_.debug("postgres store " + where_ + ": reconnecting reader " +
                                   std::to_string(i) + ": " + error);
                        schedule_reader_reconnect(i);
                        return;
                    }
                    reconnects_.add();
                    dispatch_reads();
                });
            });
    }

    void dispatch_reads() {
        for (std::size_t i = 0; i < readers_.size() && !reads_.empty(); ++i) {
            Reader& reader = readers_[i];
            if (!reader.up || !reader.conn || !reader.conn->ready() || reader.current) continue;
            reader.current = std::move(reads_.front());
            reads_.pop_front();
            send_read(i);
        }
    }

    void send_read(std::size_t index) {
        Reader& reader = readers_[index];
        const Read& read = *reader.current;
        const auto& q = read.query;
        const std::string limit = be_int8(static_cast<std::int64_t>(
            std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max())));
        Statement statement;
        if (q.before_id.empty() && q.after_id.empty()) {
            statement = Statement::execute(statement_name::kLast, {read.room, limit});
        } else if (q.after_id.empty()) {
            statement =
                Statement::execute(statement_name::kBefore, {read.room, q.before_id, limit});
        } else if (q.before_id.empty()) {
            statement = Statement::execute(statement_name::kAfter, {read.room, q.after_id, limit});
        } else {
            statement = Statement::execute(statement_name::kBetween,
                                           {read.room, q.after_id, q.before_id, limit});
        }
        const bool newest_first = q.after_id.empty();
        std::vector<Statement> statements;
        statements.push_back(std::move(statement));
        reader.conn->send(
            statements, [this, self = shared_from_this(), index, conn = reader.conn.get(),
                         newest_first](const Outcome& outcome) {
                Reader& r = readers_[index];
                // Lost: reader_lost() asks again on another connection.
                if (outcome.status == Outcome::Status::lost || r.conn.get() != conn || !r.current) {
                    return;
                }
                Read read = std::move(*r.current);
                r.current.reset();
                if (outcome.status == Outcome::Status::failed) {
                    errors_.add();
                    history_failures_.add();
                    log_.error("postgres store " + where_ + ": history of room \"" + read.room +
                               "\" failed: " + outcome.message);
                    finish_read(read, make_postgres_error(outcome.sqlstate), {});
                } else {
                    std::vector<sdk::Message> found;
                    if (parse_messages(outcome.results.front().get(), found)) {
                        if (newest_first) std::reverse(found.begin(), found.end());
                        queries_.add();
                        finish_read(read, {}, std::move(found));
                    } else {
                        errors_.add();
                        history_failures_.add();
                        log_.error("postgres store " + where_ + ": history of room \"" + read.room +
                                   "\": malformed row");
                        finish_read(read, make_postgres_error("XX001"), {});
                    }
                }
                dispatch_reads();
                maybe_finish_stop();
            });
    }

    static bool parse_messages(const PGresult* r, std::vector<sdk::Message>& out) {
        if (PQnfields(r) != 8) return false;
        const int rows = PQntuples(r);
        out.reserve(static_cast<std::size_t>(rows));
        for (int row = 0; row < rows; ++row) {
            sdk::Message m;
            m.id = field(r, row, 0);
            m.room = field(r, row, 1);
            const auto ts = codec::parse_int8(field(r, row, 2));
            if (!ts) return false;
            m.ts_ms = *ts;
            m.sender = field(r, row, 3);
            m.user = field(r, row, 4);
            m.payload_json = field(r, row, 5);
            if (!PQgetisnull(r, row, 6)) {
                auto elements = codec::parse_array(field(r, row, 6));
                if (!elements) return false;
                m.attachments.assign(elements->begin(), elements->end());
            }
            m.position = field(r, row, 7);
            out.push_back(std::move(m));
        }
        return true;
    }

    void finish_read(Read& read, std::error_code ec, std::vector<sdk::Message> found) {
        auto done = std::move(read.done);
        read.done = nullptr;
        if (!done) return;  // answered already: history_timeout ran out while in flight
        --active_reads_;
        done(ec, std::move(found));
    }

    // ---- deadlines, stop -----------------------------------------------------------

    /// While anything waits, a periodic sweep fails what waited longer than
    /// retry_timeout (what is in flight is left to its connection).
    void ensure_sweep() {
        if (sweep_armed_ || (active_jobs_ == 0 && active_reads_ == 0)) return;
        sweep_armed_ = true;
        const auto tick =
            std::clamp(std::min(settings_.retry_timeout, settings_.history_timeout) / 10,
                       milliseconds(10), milliseconds(1000));
        sweep_timer_.expires_after(tick);
        sweep_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
            sweep_armed_ = false;
            if (ec || phase_ == Phase::stopped) return;
            sweep();
            ensure_sweep();
        });
    }

    void sweep() {
        const auto expired = Clock::now() - settings_.retry_timeout;
        const auto ec = make_error_code(sdk::Errc::unavailable);
        std::size_t failed_jobs = 0;
        auto fail_job = [&](Job& job) {
            if (job.completed || job.arrived > expired) return;
            ++failed_jobs;
            complete(job, ec);
        };
        for (auto& job : queue_) fail_job(*job);
        for (auto& batch : retry_) {
            for (auto& piece : batch.pieces) fail_job(*piece.job);
        }
        // A reader waits for history: it gets its answer (or the error) soon, the
        // writer's appends wait for the server longer.
        const auto reads_expired = Clock::now() - settings_.history_timeout;
        std::size_t failed_reads = 0;
        // One in flight is answered now; its connection's answer, when it comes, is
        // dropped (the reader stays busy with it until then).
        for (auto& reader : readers_) {
            if (reader.current && reader.current->done &&
                reader.current->arrived <= reads_expired) {
                ++failed_reads;
                finish_read(*reader.current, ec, {});
            }
        }
        for (auto it = reads_.begin(); it != reads_.end();) {
            if (it->arrived <= reads_expired) {
                Read read = std::move(*it);
                it = reads_.erase(it);
                ++failed_reads;
                finish_read(read, ec, {});
            } else {
                ++it;
            }
        }
        history_failures_.add(failed_reads);
        if (failed_jobs > 0) {
            log_.error("postgres store " + where_ + ": " + std::to_string(failed_jobs) +
                       " append(s) failed: not done within retry_timeout (" +
                       std::to_string(settings_.retry_timeout.count()) + " ms)");
        }
        if (failed_reads > 0) {
            log_.error("postgres store " + where_ + ": " + std::to_string(failed_reads) +
                       " history query(ies) failed: not answered within history_timeout (" +
                       std::to_string(settings_.history_timeout.count()) + " ms)");
        }
        if (failed_jobs + failed_reads > 0) {
            errors_.add();
            std::erase_if(retry_, [](Batch& b) {
                drop_completed(b);
                return b.messages == 0;
            });
            drop_completed_front();
        }
        maybe_finish_stop();
    }

    void maybe_finish_stop() {
        if (phase_ != Phase::stopping || active_jobs_ > 0 || active_reads_ > 0) return;
        phase_ = Phase::stopped;
        close_all();
        auto waiters = std::move(stop_waiters_);
        stop_waiters_.clear();
        for (auto& done : waiters) done({});
    }

    void close_all() {
        writer_up_ = false;
        if (writer_) writer_->close();
        writer_.reset();
        for (auto& reader : readers_) {
            if (reader.conn) reader.conn->close();
            reader.conn.reset();
            reader.up = false;
            if (reader.timer) reader.timer->cancel();
        }
        writer_timer_.cancel();
        delay_timer_.cancel();
        sweep_timer_.cancel();
        queue_.clear();
        retry_.clear();
        in_flight_.clear();
        queued_messages_ = 0;
        queued_gauge_.set(0);
    }

    const Settings settings_;
    const Target target_;
    const std::string where_;  // for log lines: host, port, database, user
    const sdk::Executor executor_;
    sdk::Logger& log_;
    sdk::Counter& batches_;
    sdk::Counter& written_;
    sdk::Counter& duplicates_;
    sdk::Counter& errors_;
    sdk::Counter& reconnects_;
    sdk::Counter& queries_;
    sdk::Counter& history_failures_;
    sdk::Health& health_;
    bool unavailable_ = false;  // told the host; until a write goes through again
    bool unreachable_ = false;  // the writer's last reconnect failed: history fails fast
    sdk::Gauge& queued_gauge_;

    Phase phase_ = Phase::idle;
    sdk::Done start_done_;
    sdk::MigrateDone migrate_done_;  // set: migrate only (relay migrate), do not start
    std::string start_error_;        // why the start failed, for migrate's report
    std::vector<sdk::Done> stop_waiters_;
    std::size_t starting_readers_ = 0;

    // Writer.
    std::shared_ptr<Connection> writer_;
    bool writer_up_ = false;  // connected, set up, and known to the core
    milliseconds writer_backoff_{settings_.retry_backoff};
    boost::asio::steady_timer writer_timer_;
    boost::asio::steady_timer delay_timer_;
    bool delay_armed_ = false;
    std::deque<std::shared_ptr<Job>> queue_;
    std::size_t queued_messages_ = 0;  // not yet taken into a batch
    std::deque<Batch> retry_;          // lost in flight: written again first
    std::deque<Batch> in_flight_;
    std::uint64_t batch_seq_ = 0;
    std::size_t active_jobs_ = 0;  // appends not yet answered

    // Readers.
    std::vector<Reader> readers_;
    std::deque<Read> reads_;
    std::size_t active_reads_ = 0;  // queries not yet answered

    boost::asio::steady_timer sweep_timer_;
    bool sweep_armed_ = false;
    std::minstd_rand rng_;
};

PostgresStore::PostgresStore(Settings settings, sdk::PluginContext& ctx)
    : core_(std::make_shared<Core>(std::move(settings), ctx)) {}

PostgresStore::~PostgresStore() {
    // The core lives on in its handlers; it answers what is pending and closes on its
    // executor. (When the executor no longer runs, the io_context destroys the
    // handlers, and the core with them, closing the connections.)
    auto core = std::move(core_);
    boost::asio::post(core->executor(), [core] { core->abandon(); });
}

void PostgresStore::start(sdk::Done done) {
    boost::asio::post(core_->executor(), [core = core_, done = std::move(done)]() mutable {
        core->start(std::move(done));
    });
}

void PostgresStore::migrate(sdk::MigrateDone done) {
    boost::asio::post(core_->executor(), [core = core_, done = std::move(done)]() mutable {
        core->migrate_only(std::move(done));
    });
}

void PostgresStore::append(std::vector<sdk::Message> batch, sdk::Done done) {
    boost::asio::post(core_->executor(),
                      [core = core_, batch = std::move(batch), done = std::move(done)]() mutable {
                          core->append(std::move(batch), std::move(done));
                      });
}

void PostgresStore::history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) {
    boost::asio::post(core_->executor(),
                      [core = core_, room = std::string(room), query = std::move(query),
                       done = std::move(done)]() mutable {
                          core->history(std::move(room), std::move(query), std::move(done));
                      });
}

void PostgresStore::stop(sdk::Done done) {
    boost::asio::post(core_->executor(), [core = core_, done = std::move(done)]() mutable {
        core->stop(std::move(done));
    });
}

}  // namespace relay::plugins::postgres
