#pragma once
#include "bucket_table.hpp"
#include "settings.hpp"

#include <relay/sdk/metrics.hpp>
#include <relay/sdk/processor.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

namespace relay::plugins::rate_limit {

/// The text of a rate-limit rejection, as the sender's ack carries it.
inline constexpr std::string_view kRateLimited = "rate limited";

/// A processor that holds each connection, user and remote address to a rate (token
/// buckets; see Settings). A message takes one token from each bucket that applies
/// (kinds that are off, and messages without a user or an address, skip theirs); when
/// one is empty the message is rejected with `rate limited` and the time until that
/// bucket has a token again (`retry_after_ms` in the sender's ack), and the tokens it
/// took from the buckets before are given back, so a refused message costs nothing.
/// Each rejection counts in `relay_rate_limit_rejected_total{kind=...}`, kind being the
/// bucket that refused it: connection, user or address.
/// Thread safety: process() from any thread, concurrently (see BucketTable). It
/// answers inline and never throws.
class RateLimiter final : public sdk::Processor {
public:
    RateLimiter(const Settings& settings, sdk::Metrics& metrics);

    void process(sdk::Message& msg, sdk::VerdictDone done) override;

    /// The decision for a message from `sender`, `user` at `address` at `now`.
    sdk::Verdict decide(std::string_view sender, std::string_view user, std::string_view address,
                        Clock::time_point now);

private:
    struct Kind {
        std::unique_ptr<BucketTable> buckets;  // null: off
        sdk::Counter* rejected = nullptr;
    };
    std::array<Kind, 3> kinds_;  // connection, user, address: the order they are asked in
};

}  // namespace relay::plugins::rate_limit
