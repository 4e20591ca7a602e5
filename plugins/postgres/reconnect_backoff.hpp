#pragma once
/// How long one connection waits before its next reconnect attempt.
#include <chrono>
#include <random>

namespace relay::plugins::postgres {

/// Starts at `first`, doubles per failed attempt up to `max`; each wait is jittered.
/// One per connection (the writer, each reader): they back off independently.
class ReconnectBackoff {
public:
    ReconnectBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max);

    /// The wait before the next attempt; the one after it is twice as long.
    std::chrono::milliseconds next();
    /// Connected: the next loss waits `first` again.
    void reset() noexcept { current_ = first_; }

private:
    std::chrono::milliseconds first_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds current_;
    std::minstd_rand rng_;
};

}  // namespace relay::plugins::postgres
