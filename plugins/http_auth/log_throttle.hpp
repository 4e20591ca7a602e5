#pragma once
/// A warning that may repeat per request, let through at most once per interval: a
/// broken auth service must not write a log line for every client that connects.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace relay::plugins::http_auth {

/// Thread safety: any thread (two atomics, no lock).
class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

    /// When the line may be written now: how many were held back since the last one
    /// (to say so in it). Otherwise nullopt, and this one counts as held back.
    std::optional<std::uint64_t> allow(Clock::time_point now = Clock::now()) noexcept {
        auto next = next_.load(std::memory_order_relaxed);
        const auto at = now.time_since_epoch().count();
        if (at < next ||
            !next_.compare_exchange_strong(next, (now + interval_).time_since_epoch().count(),
                                           std::memory_order_relaxed)) {
            held_back_.fetch_add(1, std::memory_order_relaxed);
            return std::nullopt;
        }
        return held_back_.exchange(0, std::memory_order_relaxed);
    }

private:
    Clock::duration interval_;
    std::atomic<Clock::rep> next_{0};  // when the next line may go, in Clock ticks
    std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace relay::plugins::http_auth
