#pragma once
/// The store group's backlog, which bounds publishes (`capacity`): measured with
/// XINFO GROUPS every `backlog_interval`, plus the XADDs sent since the measure began.
#include "store_group.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace relay::plugins::valkey_streams {

/// Polls on the queue's command connection (shared with the publisher) and publishes
/// the measure as the gauge `valkey_streams_store_backlog`.
/// Thread safety: none; everything runs on the queue's executor. Lifetime: shared;
/// timers and answers after close() or destruction do nothing.
class StoreBacklog : public std::enable_shared_from_this<StoreBacklog> {
public:
    StoreBacklog(sdk::Executor executor, StoreGroup group, std::chrono::milliseconds interval,
                 sdk::Gauge& gauge);

    /// Measures now, then every `interval` until close().
    void start();
    void close();

    /// An XADD was sent: it counts until the next measure includes it.
    void count_publish() {
        ++backlog_;
        ++xadds_sent_;
    }
    /// Messages the store group has not committed: the last measure plus XADDs since.
    std::size_t size() const noexcept { return backlog_; }

private:
    void poll();
    void schedule();

    StoreGroup group_;
    std::chrono::milliseconds interval_;
    sdk::Gauge& gauge_;
    boost::asio::steady_timer timer_;
    bool closed_ = false;
    bool polling_ = false;
    std::size_t backlog_ = 0;  // measured backlog + XADDs sent since
    std::uint64_t xadds_sent_ = 0;
};

}  // namespace relay::plugins::valkey_streams
