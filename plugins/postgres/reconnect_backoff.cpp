#include "reconnect_backoff.hpp"

#include <algorithm>
#include <cstdint>

namespace relay::plugins::postgres {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
    : first_(first), max_(max), current_(first), rng_(std::random_device{}()) {}

std::chrono::milliseconds ReconnectBackoff::next() {
    const std::chrono::milliseconds wait = current_;
    current_ = std::min(current_ * 2, max_);
    // +-20 % jitter, so that nodes that lost the server together do not return
    // together.
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return std::chrono::milliseconds(std::max<std::int64_t>(
        1, static_cast<std::int64_t>(static_cast<double>(wait.count()) * jitter(rng_))));
}

}  // namespace relay::plugins::postgres
