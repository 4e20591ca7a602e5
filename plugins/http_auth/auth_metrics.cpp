#include "auth_metrics.hpp"

#include <cstddef>
#include <string>

namespace relay::plugins::http_auth {

namespace {

constexpr std::string_view kErrorsHelp =
    "handshakes refused because the auth service could not decide, by kind";
constexpr std::string_view kDurationHelp =
    "time from a handshake to its answer, for requests sent to the auth service";

std::string bucket_name(std::string_view bound) {
    return "http_auth_request_duration_seconds_bucket{le=\"" + std::string(bound) + "\"}";
}

/// `ms` milliseconds as Prometheus writes seconds: 0.001, 0.25, 1, 2.5.
std::string seconds_text(int ms) {
    std::string text = std::to_string(ms / 1000);
    if (const int rest = ms % 1000; rest != 0) {
        std::string fraction = std::to_string(1000 + rest).substr(1);  // three digits
        while (fraction.back() == '0') fraction.pop_back();
        text += "." + fraction;
    }
    return text;
}

}  // namespace

AuthMetrics::AuthMetrics(sdk::Metrics& metrics)
    : requests(metrics.counter("http_auth_requests_total", "handshakes asked about")),
      refused(metrics.counter("http_auth_refused_total", "handshakes refused, for any reason")),
      unavailable(metrics.counter("http_auth_errors_total{kind=\"unavailable\"}", kErrorsHelp)),
      timed_out(metrics.counter("http_auth_errors_total{kind=\"timeout\"}", kErrorsHelp)),
      bad_status(metrics.counter("http_auth_errors_total{kind=\"status\"}", kErrorsHelp)),
      malformed(metrics.counter("http_auth_errors_total{kind=\"malformed\"}", kErrorsHelp)),
      busy(metrics.counter("http_auth_errors_total{kind=\"busy\"}", kErrorsHelp)),
      in_flight(metrics.gauge("http_auth_in_flight", "requests to the auth service under way")),
      connections_opened(metrics.counter("http_auth_connections_opened_total",
                                         "TCP connections opened to the auth service")) {
    for (std::size_t i = 0; i < kBucketBoundsMs.size(); ++i) {
        buckets_[i] =
            &metrics.counter(bucket_name(seconds_text(kBucketBoundsMs[i])), kDurationHelp);
    }
    buckets_.back() = &metrics.counter(bucket_name("+Inf"), kDurationHelp);
}

void AuthMetrics::observe(std::chrono::steady_clock::duration elapsed) noexcept {
    const auto ms = std::chrono::duration<double, std::milli>(elapsed).count();
    // Cumulative: a request counts in every bucket whose bound it is within.
    for (std::size_t i = 0; i < kBucketBoundsMs.size(); ++i) {
        if (ms <= kBucketBoundsMs[i]) buckets_[i]->add();
    }
    buckets_.back()->add();
}

}  // namespace relay::plugins::http_auth
