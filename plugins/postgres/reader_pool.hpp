#pragma once
/// The history readers: `pool_size` connections of their own, so that history never
/// waits behind a write.
#include "pg_connection.hpp"
#include "reconnect_backoff.hpp"
#include "store_context.hpp"
#include "store_readiness.hpp"
#include "write_queue.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/store.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace relay::plugins::postgres {

/// Queries wait in one queue; each reader runs one at a time. A lost reader is
/// replaced after its own backoff, and its query is asked again on another (or on
/// the new) connection. A query fails with unavailable once it waited
/// history_timeout (expire()), at once while StoreReadiness says the server is out of
/// reach and no reader is up, and with a postgres_category() error on an SQL error.
///
/// Owns: every reader's connection, reconnect timer and backoff, the waiting
/// queries. On the store's executor only; no locks. Every callback runs there,
/// exactly once, never inside the call that started it.
class ReaderPool {
public:
    /// What the pool tells the rest of the store.
    struct Events {
        std::function<void()> waiting;  ///< something waits: sweep deadlines
        std::function<void()> settled;  ///< a query may have been answered
    };

    ReaderPool(const StoreContext& ctx, const StoreReadiness& readiness, Events events);

    /// start(): connects every reader; `done` runs once: with libpq's message of the
    /// first that failed, or empty once all are up.
    void connect_all(std::function<void(const std::string& error)> done);
    std::size_t size() const noexcept { return readers_.size(); }

    void submit(std::string room, sdk::HistoryQuery query, sdk::HistoryDone done);
    /// Hands waiting queries to idle readers.
    void dispatch();
    /// While no reader is up: the waiting queries fail with unavailable.
    void fail_waiting();

    /// Queries not yet answered.
    bool busy() const noexcept { return active_reads_ > 0; }
    /// Fails (unavailable) the queries made before `expired`, waiting or in flight
    /// (an answer that comes later is dropped); returns how many.
    std::size_t expire(Clock::time_point expired);
    /// Answers every query not yet answered with `ec`.
    void abandon(std::error_code ec);
    /// Closes the connections and cancels the timers; no callback of the pool runs
    /// afterwards, and it cannot be used again.
    void close();

private:
    struct Read {
        std::string room;
        sdk::HistoryQuery query;
        sdk::HistoryDone done;
        Clock::time_point arrived;
    };
    struct Reader {
        Reader(const sdk::Executor& executor, const Settings& settings)
            : backoff(settings.retry_backoff, settings.retry_backoff_max), timer(executor) {}
        std::shared_ptr<Connection> conn;
        bool up = false;
        std::optional<Read> current;
        ReconnectBackoff backoff;
        boost::asio::steady_timer timer;
    };
    using Connected = std::function<void(const std::string& error)>;

    bool reader_up() const;
    void connect(std::size_t index, Connected then);
    void lost(std::size_t index, const std::string& error);
    void schedule_reconnect(std::size_t index);
    void send(std::size_t index);
    void answered(std::size_t index, const Outcome& outcome, bool newest_first);
    void finish(Read& read, std::error_code ec, std::vector<sdk::Message> found);

    const StoreContext& ctx_;
    const StoreReadiness& readiness_;
    Events events_;
    std::vector<Reader> readers_;
    std::deque<Read> reads_;
    std::size_t active_reads_ = 0;  // queries not yet answered
    bool closed_ = false;           // close() ran: the store stopped or failed
    std::size_t starting_ = 0;      // connect_all(): readers not yet connected
    std::function<void(const std::string&)> start_done_;
};

}  // namespace relay::plugins::postgres
