#pragma once
/// StoreFeed: how a queue hands the messages it accepted to the store subscription. The
/// rules of that hand-off are the same for every queue; only where the messages come
/// from and what a commit lets the queue forget (ack, XACK, offsets) are its own.
#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

namespace relay::plugins::store_feed {

/// Hands a queue's batches to the store handler and tells the queue how each ended.
///
/// - At most `batches_in_flight` batches wait for their commit; ready() says whether
///   another may go now.
/// - The store may commit from any thread, inline or later, out of order, and more than
///   once by mistake: every commit hops to the executor, and only a batch's first
///   commit counts.
/// - Outcomes reach the queue in hand-over order: a batch counts as committed once
///   every batch handed before it did.
/// - A failed commit fails every batch in flight, oldest first: the queue redelivers
///   their messages (the store is idempotent by id, so a later batch that the store
///   commits meanwhile does no harm; its commit is stale by then). Nothing more is handed
///   over for `retry_delay`; then `resume` runs.
/// - After close(), and for a batch a failure already reported, a commit is stale:
///   ignored. No outcome and no `resume` runs after close().
///
/// Thread safety: none; every member runs on the executor, where every outcome and
/// `resume` run too. Lifetime: shared (create()); commits and timers that arrive after
/// close() or destruction do nothing. The owner closes the feed before it goes away.
class StoreFeed : public std::enable_shared_from_this<StoreFeed> {
public:
    /// How one batch ended: empty once committed, or the error of the failed commit
    /// (then its messages must be handed over again).
    using Outcome = std::function<void(std::error_code)>;

    struct Options {
        std::size_t batches_in_flight = 1;
        /// The wait after a failed commit before anything is handed over again.
        std::chrono::milliseconds retry_delay{200};
    };
    /// Where the feed reports: `retries` counts failed commits, each logged (every 50th
    /// of a run of failures) as a warning.
    struct Reporting {
        sdk::Logger& log;
        sdk::Counter& retries;
    };

    static std::shared_ptr<StoreFeed> create(sdk::Executor executor, sdk::StoreHandler handler,
                                             Options options, Reporting reporting);
    StoreFeed(const StoreFeed&) = delete;
    StoreFeed& operator=(const StoreFeed&) = delete;
    StoreFeed(StoreFeed&&) = delete;
    StoreFeed& operator=(StoreFeed&&) = delete;
    ~StoreFeed() = default;

    /// Runs whenever the feed may have become ready() again: after outcomes were
    /// reported, and when a retry delay ran out.
    void on_resume(std::function<void()> resume) { resume_ = std::move(resume); }

    /// Open, not waiting out a retry delay, and fewer than `batches_in_flight` batches
    /// waiting for their commit.
    bool ready() const noexcept;
    /// Batches handed over whose outcome is not reported yet.
    std::size_t in_flight() const noexcept { return in_flight_.size(); }

    /// Hands `batch` to the store; `outcome` runs once, later, unless the feed is closed
    /// first. Only when ready().
    void hand_over(std::vector<sdk::Message> batch, Outcome outcome);

    /// Nothing more is handed over or reported; the handler is dropped.
    void close();

private:
    StoreFeed(sdk::Executor executor, sdk::StoreHandler handler, Options options,
              Reporting reporting);

    struct InFlight {
        std::uint64_t serial;
        std::size_t size;  // messages
        Outcome outcome;
        bool committed = false;  // but a batch before it is not yet
    };

    void on_commit(std::uint64_t serial, std::error_code ec);
    void fail_all(std::error_code ec);
    void report(std::vector<Outcome> outcomes, std::error_code ec);
    void resume();

    sdk::Executor executor_;
    sdk::StoreHandler handler_;
    const Options options_;
    Reporting reporting_;
    boost::asio::steady_timer retry_timer_;
    std::function<void()> resume_;

    std::deque<InFlight> in_flight_;  // oldest first
    std::uint64_t next_serial_ = 1;
    bool retry_pending_ = false;
    bool closed_ = false;
    std::uint64_t failures_in_a_row_ = 0;
};

}  // namespace relay::plugins::store_feed
