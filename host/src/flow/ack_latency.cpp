#include "flow/ack_latency.hpp"

#include <string>

#include <fmt/format.h>

namespace relay::host {
namespace {

constexpr std::string_view kHelp =
    "Time from a message's arrival to its sender's ack (processors, the queue's durability)";

std::string bucket_name(std::string_view bound) {
    return fmt::format("ack_latency_seconds_bucket{{le=\"{}\"}}", bound);
}

}  // namespace

AckLatency::AckLatency(sdk::Metrics& metrics)
    : count_(metrics.counter("ack_latency_seconds_count", kHelp)) {
    for (std::size_t i = 0; i < kBoundsUs.size(); ++i) {
        // Seconds, as Prometheus names them: 0.0001, 0.00025, ... 10
        buckets_[i] = &metrics.counter(
            bucket_name(fmt::format("{}", static_cast<double>(kBoundsUs[i]) / 1e6)), kHelp);
    }
    buckets_.back() = &metrics.counter(bucket_name("+Inf"), kHelp);
}

void AckLatency::record(std::chrono::steady_clock::duration waited) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
    // Cumulative: a wait counts in every bucket whose bound it is within.
    for (std::size_t i = 0; i < kBoundsUs.size(); ++i) {
        if (us <= kBoundsUs[i]) buckets_[i]->add();
    }
    buckets_.back()->add();
    count_.add();
}

}  // namespace relay::host
