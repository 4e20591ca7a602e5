#pragma once
#include <relay/sdk/metrics.hpp>

#include <array>
#include <chrono>

namespace relay::host {

/// How long senders wait for their ack: from the message's arrival in the flow to the
/// ack (processors, the queue making it durable), errors included. A Prometheus
/// histogram of counters, `relay_ack_latency_seconds_bucket{le="…"}` (cumulative, as
/// Prometheus expects, so `histogram_quantile` works) and `relay_ack_latency_seconds_count`;
/// there is no `_sum` (the registry keeps integers). The admin page takes p50 and p99
/// per second from the buckets' increase.
/// Thread safety: any thread; recording is lock-free.
class AckLatency {
public:
    /// Upper bounds of the buckets, in microseconds (+Inf after the last).
    static constexpr std::array<long, 16> kBoundsUs = {
        100,   250,    500,    1000,   2500,    5000,    10000,   25000,
        50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

    explicit AckLatency(sdk::Metrics& metrics);
    void record(std::chrono::steady_clock::duration waited);

private:
    std::array<sdk::Counter*, kBoundsUs.size() + 1> buckets_{};  // the last: +Inf
    sdk::Counter& count_;
};

}  // namespace relay::host
