#pragma once
/// A token bucket, the arithmetic of a rate limit, for processors and transports that
/// hold something to a rate. The time is passed in (no clock is read here), so tests
/// drive it. Header-only; not part of the plugin ABI.
#include <algorithm>
#include <chrono>

namespace relay::sdk {

/// A rate: `per_second` tokens a second, at most `burst` saved up. Off when
/// `per_second` is zero.
struct TokenRate {
    double per_second = 0;
    double burst = 1;
    bool on() const { return per_second > 0; }
};

/// Holds up to `rate.burst` tokens and gains `rate.per_second` a second; each use takes
/// one. Two words of state: the rate lives with whoever owns the buckets.
/// Thread safety: none; the owner locks.
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket() = default;
    /// A bucket not used yet: full.
    TokenBucket(const TokenRate& rate, Clock::time_point now)
        : tokens_(rate.burst), updated_(now) {}

    /// Takes one token if there is one and returns zero; else takes nothing and returns
    /// how long until there is one (rounded up: a retry then finds it).
    Clock::duration take(const TokenRate& rate, Clock::time_point now) {
        refill(rate, now);
        if (tokens_ >= 1) {
            tokens_ -= 1;
            return Clock::duration::zero();
        }
        const std::chrono::duration<double> wait((1 - tokens_) / rate.per_second);
        return std::max(Clock::duration(1), std::chrono::ceil<Clock::duration>(wait));
    }

    /// Returns a token that take() took (the use did not happen after all).
    void give_back(const TokenRate& rate) { tokens_ = std::min(rate.burst, tokens_ + 1); }

    /// True when the bucket would be full at `now`: a new bucket behaves the same, so
    /// this one may be forgotten.
    bool full_at(const TokenRate& rate, Clock::time_point now) const {
        const std::chrono::duration<double> idle = now - updated_;
        return tokens_ + std::max(0.0, idle.count()) * rate.per_second >= rate.burst;
    }

private:
    void refill(const TokenRate& rate, Clock::time_point now) {
        if (now <= updated_) return;  // an older reading of the clock: nothing to add
        const std::chrono::duration<double> elapsed = now - updated_;
        tokens_ = std::min(rate.burst, tokens_ + elapsed.count() * rate.per_second);
        updated_ = now;
    }

    double tokens_ = 0;
    Clock::time_point updated_{};
};

}  // namespace relay::sdk
