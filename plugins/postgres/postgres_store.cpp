#include "postgres_store.hpp"

#include "batch_insert.hpp"
#include "batch_writer.hpp"
#include "migrations.hpp"
#include "reader_pool.hpp"
#include "schema_migrator.hpp"
#include "store_context.hpp"
#include "store_readiness.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <algorithm>
#include <chrono>
#include <utility>

namespace relay::plugins::postgres {

using std::chrono::milliseconds;

/// Wires the parts and runs the store's lifecycle: start (the writer connects, the
/// schema is migrated on its connection, the readers connect), the gate of every
/// call on the phase, the deadline sweep, stop and abandon. The parts own their
/// connections, timers and queues; everything runs on the plugin's executor (the
/// public members post there), so nothing here or in them takes a lock. Async
/// handlers of every part hold a shared_ptr to the core, so it outlives the store
/// object until the last of them ran (or was destroyed with the io_context).
class PostgresStore::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : ctx_(std::move(settings), ctx,
               [this] { return std::shared_ptr<void>(shared_from_this()); }),
          readiness_(ctx_),
          writer_(ctx_, readiness_,
                  BatchWriter::Events{
                      .waiting = [this] { ensure_sweep(); },
                      .settled = [this] { maybe_finish_stop(); },
                      .server_unreachable = [this] { readers_.fail_waiting(); },
                  }),
          readers_(ctx_, readiness_,
                   ReaderPool::Events{
                       .waiting = [this] { ensure_sweep(); },
                       .settled = [this] { maybe_finish_stop(); },
                   }),
          sweep_timer_(ctx_.executor) {}

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

    const sdk::Executor& executor() const noexcept { return ctx_.executor; }

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
        writer_.connect([this, self = shared_from_this()](const std::string& error) {
            if (phase_ != Phase::starting) return;
            if (!error.empty()) {
                fail_start(make_error_code(sdk::Errc::unavailable), "cannot connect: " + error);
                return;
            }
            migrate_schema();
        });
    }

    /// start()'s connection and migrations, then closes instead of going on to the
    /// readers: `relay migrate`.
    void migrate_only(sdk::MigrateDone done) {
        migrate_done_ = std::move(done);
        start([this, self = shared_from_this()](std::error_code ec) {
            // Only failures come here; a migration that worked completes in
            // migrate_schema().
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
        writer_.append(std::move(batch), std::move(done));
    }

    void history(std::string room, sdk::HistoryQuery query, sdk::HistoryDone done) {
        if (phase_ != Phase::started) {
            done(make_error_code(phase_ == Phase::stopping || phase_ == Phase::stopped
                                     ? sdk::Errc::shutting_down
                                     : sdk::Errc::unavailable),
                 {});
            return;
        }
        readers_.submit(std::move(room), std::move(query), std::move(done));
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
                readiness_.unwatch();
                stop_waiters_.push_back(std::move(done));
                writer_.drain();
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
        readiness_.unwatch();
        const auto ec = make_error_code(sdk::Errc::shutting_down);
        writer_.abandon(ec);
        readers_.abandon(ec);
        close_all();
        auto waiters = std::move(stop_waiters_);
        for (auto& done : waiters) done({});
    }

private:
    enum class Phase { idle, starting, started, stopping, stopped, failed };

    // ---- start -----------------------------------------------------------------------

    void fail_start(std::error_code ec, const std::string& message) {
        ctx_.metrics.errors.add();
        ctx_.log.error("postgres store " + ctx_.where + ": " + message);
        start_error_ = message;
        close_all();
        phase_ = Phase::failed;
        if (auto done = std::move(start_done_)) done(ec);
    }

    void migrate_schema() {
        std::vector<Statement> then;
        then.push_back(prepare_insert());
        SchemaMigrator::run(
            ctx_, writer_.connection(), std::move(then),
            [this, self = shared_from_this()](const SchemaMigrator::Result& result) {
                if (phase_ != Phase::starting) return;
                if (result.error) {
                    fail_start(result.error, result.message);
                    return;
                }
                if (auto migrated = std::move(migrate_done_)) {
                    close_all();
                    phase_ = Phase::stopped;
                    start_done_ = nullptr;
                    migrated({}, "schema at version " + std::to_string(kSchemaVersion) +
                                     (result.applied.empty()
                                          ? " (up to date)"
                                          : "; applied migration(s) " + result.applied));
                    return;
                }
                writer_.schema_ready();
                connect_readers();
            });
    }

    void connect_readers() {
        readers_.connect_all([this](const std::string& error) {
            if (phase_ != Phase::starting) return;
            if (!error.empty()) {
                fail_start(make_error_code(sdk::Errc::unavailable),
                           "cannot connect a reader: " + error);
                return;
            }
            phase_ = Phase::started;
            readiness_.watch();
            ctx_.log.info("postgres store " + ctx_.where + ": ready (schema version " +
                          std::to_string(kSchemaVersion) + ", " + std::to_string(readers_.size()) +
                          " reader(s))");
            if (auto done = std::move(start_done_)) done({});
            writer_.write();
            readers_.dispatch();
        });
    }

    // ---- deadlines, stop -------------------------------------------------------------

    /// While anything waits, a periodic sweep fails what waited longer than
    /// retry_timeout (what is in flight is left to its connection).
    void ensure_sweep() {
        if (sweep_armed_ || (!writer_.busy() && !readers_.busy())) return;
        sweep_armed_ = true;
        const auto tick =
            std::clamp(std::min(ctx_.settings.retry_timeout, ctx_.settings.history_timeout) / 10,
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
        const std::size_t failed_jobs = writer_.expire(Clock::now() - ctx_.settings.retry_timeout);
        // A reader waits for history: it gets its answer (or the error) soon, the
        // writer's appends wait for the server longer.
        const std::size_t failed_reads =
            readers_.expire(Clock::now() - ctx_.settings.history_timeout);
        if (failed_jobs > 0) {
            ctx_.log.error("postgres store " + ctx_.where + ": " + std::to_string(failed_jobs) +
                           " append(s) failed: not done within retry_timeout (" +
                           std::to_string(ctx_.settings.retry_timeout.count()) + " ms)");
        }
        if (failed_reads > 0) {
            ctx_.log.error("postgres store " + ctx_.where + ": " + std::to_string(failed_reads) +
                           " history query(ies) failed: not answered within history_timeout (" +
                           std::to_string(ctx_.settings.history_timeout.count()) + " ms)");
        }
        if (failed_jobs + failed_reads > 0) {
            ctx_.metrics.errors.add();
            writer_.prune();
        }
        maybe_finish_stop();
    }

    void maybe_finish_stop() {
        if (phase_ != Phase::stopping || writer_.busy() || readers_.busy()) return;
        phase_ = Phase::stopped;
        close_all();
        auto waiters = std::move(stop_waiters_);
        stop_waiters_.clear();
        for (auto& done : waiters) done({});
    }

    void close_all() {
        writer_.close();
        readers_.close();
        sweep_timer_.cancel();
    }

    const StoreContext ctx_;
    StoreReadiness readiness_;
    BatchWriter writer_;
    ReaderPool readers_;

    Phase phase_ = Phase::idle;
    sdk::Done start_done_;
    sdk::MigrateDone migrate_done_;  // set: migrate only (relay migrate), do not start
    std::string start_error_;        // why the start failed, for migrate's report
    std::vector<sdk::Done> stop_waiters_;

    boost::asio::steady_timer sweep_timer_;
    bool sweep_armed_ = false;
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
