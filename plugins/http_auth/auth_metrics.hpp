#pragma once
/// The http auth plugin's metrics (the host prefixes each name with `relay_`):
///
/// - `http_auth_requests_total`: handshakes asked about (busy refusals included).
/// - `http_auth_refused_total`: handshakes refused, for any reason.
/// - `http_auth_errors_total{kind=...}`: refusals that are not the service's decision:
///   `unavailable` (no connection, or it broke), `timeout`, `status` (an HTTP status
///   other than 2xx/401/403), `malformed` (an answer that is not an identity), `busy`
///   (`max_in_flight` reached).
/// - `http_auth_in_flight`: requests under way.
/// - `http_auth_connections_opened_total`: TCP connections opened to the service; next
///   to requests_total it says how well the keep-alive pool works.
/// - `http_auth_request_duration_seconds_bucket{le=...}`: how long requests that went to
///   the service took until the client's answer, as cumulative Prometheus histogram
///   buckets (`histogram_quantile(0.99, rate(..._bucket[5m]))`); `le="+Inf"` counts them
///   all.
#include <relay/sdk/metrics.hpp>

#include <array>
#include <chrono>

namespace relay::plugins::http_auth {

class AuthMetrics {
public:
    explicit AuthMetrics(sdk::Metrics& metrics);

    sdk::Counter& requests;
    sdk::Counter& refused;
    sdk::Counter& unavailable;
    sdk::Counter& timed_out;
    sdk::Counter& bad_status;
    sdk::Counter& malformed;
    sdk::Counter& busy;
    sdk::Gauge& in_flight;
    sdk::Counter& connections_opened;

    /// Counts one request that took `elapsed`.
    void observe(std::chrono::steady_clock::duration elapsed) noexcept;

    /// Upper bounds of the latency buckets, in milliseconds; the last bucket is +Inf.
    static constexpr std::array<int, 12> kBucketBoundsMs = {1,   2,   5,   10,   25,   50,
                                                            100, 250, 500, 1000, 2500, 5000};

private:
    std::array<sdk::Counter*, kBucketBoundsMs.size() + 1> buckets_{};
};

}  // namespace relay::plugins::http_auth
