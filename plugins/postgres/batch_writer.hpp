#pragma once
/// The store's one writer connection: appends queue for it, and it writes them in
/// batches, one statement and one transaction each.
#include "pg_connection.hpp"
#include "reconnect_backoff.hpp"
#include "store_context.hpp"
#include "store_readiness.hpp"
#include "write_queue.hpp"

#include <relay/sdk/asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace relay::plugins::postgres {

/// Takes at most `batch_max` messages (and `batch_max_bytes`) from the queue as one
/// batch and writes it with the prepared insert; an append's callback runs once all
/// of its messages committed (or at the first SQL error, or after retry_timeout).
/// While a batch commits the next one grows (group commit); a second batch is
/// pipelined behind it only when a full one waits.
///
/// A lost connection is replaced after a backoff; the batches it had in flight go
/// back to the front and are written again (the insert is idempotent). The loss and
/// the recovery are told to StoreReadiness.
///
/// Owns: the writer connection, its reconnect timer and backoff, the batch_delay
/// timer, the queue, the batches in flight and to retry. On the store's executor
/// only; no locks. Every callback runs there, never inside the call that started it.
class BatchWriter {
public:
    /// What the writer tells the rest of the store.
    struct Events {
        std::function<void()> waiting;             ///< something waits: sweep deadlines
        std::function<void()> settled;             ///< an append may have been answered
        std::function<void()> server_unreachable;  ///< a reconnect found no server
    };

    BatchWriter(const StoreContext& ctx, StoreReadiness& readiness, Events events);

    /// start(): connects the writer's session (the schema may not exist yet); `done`
    /// gets libpq's message, empty when connected. connection() then runs the
    /// migrations; schema_ready() makes it the writer.
    void connect(std::function<void(const std::string& error)> done);
    Connection& connection() noexcept { return *conn_; }
    void schema_ready() noexcept { up_ = true; }

    /// Queues `batch` (not empty); `done` fails with queue_full at once when more
    /// than 64 x batch_max messages wait.
    void append(std::vector<sdk::Message> batch, sdk::Done done);
    /// Writes what may be written now.
    void write();
    /// Stopping: writes what is queued without waiting for batch_delay.
    void drain();

    /// Appends not yet answered.
    bool busy() const noexcept { return active_jobs_ > 0; }
    /// Fails (unavailable) the appends made before `expired` that are not in flight
    /// (those are left to their connection); returns how many.
    std::size_t expire(Clock::time_point expired);
    /// Forgets batches and jobs answered already.
    void prune();
    /// Answers every append not yet answered with `ec`.
    void abandon(std::error_code ec);
    /// Closes the connection and cancels the timers; no callback of the writer runs
    /// afterwards, and it cannot be used again.
    void close();

private:
    std::vector<Statement> setup(bool prepared) const;
    void watch_for_loss();
    void lost(const std::string& error);
    void schedule_reconnect();
    void reconnect();
    bool usable() const { return up_ && conn_ && conn_->ready(); }
    void arm_delay(Clock::time_point due);
    void send(Batch batch);
    void batch_done(std::uint64_t seq, const Outcome& outcome);
    void resolve(const Batch& batch, std::error_code ec);
    void complete(Job& job, std::error_code ec);

    const StoreContext& ctx_;
    StoreReadiness& readiness_;
    Events events_;
    std::shared_ptr<Connection> conn_;
    bool up_ = false;      // connected, set up, and known to the writer
    bool closed_ = false;  // close() ran: the store stopped or failed
    bool draining_ = false;
    ReconnectBackoff backoff_;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer delay_timer_;
    bool delay_armed_ = false;
    WriteQueue queue_;
    std::deque<Batch> retry_;  // lost in flight: written again first
    std::deque<Batch> in_flight_;
    std::uint64_t batch_seq_ = 0;
    std::size_t active_jobs_ = 0;  // appends not yet answered
};

}  // namespace relay::plugins::postgres
