#pragma once
#include <cstdint>
#include <string>

namespace relay::host {

/// Makes message ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford
/// base32, 26 characters). They sort by time as plain strings, so stores can order
/// and page by id. Ids from one generator are strictly increasing, even within one
/// millisecond (the random part is incremented), and never go back in time: a clock
/// that steps back keeps the last time. Not thread-safe.
class MessageIdGenerator {
public:
    MessageIdGenerator();
    std::string next(std::int64_t now_ms);

private:
    std::int64_t last_ms_ = -1;
    std::uint64_t random_hi_ = 0;  // top 16 of the 80 random bits
    std::uint64_t random_lo_ = 0;  // low 64 bits
    std::uint64_t rng_state_;
};

/// The process's generator: ids strictly increasing across every thread of the node,
/// in the order of the calls. Thread-safe.
std::string next_message_id(std::int64_t now_ms);

}  // namespace relay::host
