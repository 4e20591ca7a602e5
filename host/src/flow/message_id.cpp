#include "flow/message_id.hpp"

#include <array>
#include <mutex>
#include <random>

namespace relay::host {
namespace {

constexpr std::array<char, 32> kCrockford = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A',
                                             'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'M', 'N',
                                             'P', 'Q', 'R', 'S', 'T', 'V', 'W', 'X', 'Y', 'Z'};

// splitmix64: fast, good enough for the random part of an id (not a secret).
std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
}

}  // namespace

MessageIdGenerator::MessageIdGenerator() : rng_state_(std::random_device{}()) {
    rng_state_ = (rng_state_ << 32U) ^ std::random_device{}();
}

std::string MessageIdGenerator::next(std::int64_t now_ms) {
    if (now_ms > last_ms_) {
        last_ms_ = now_ms;
        random_hi_ = splitmix64(rng_state_) & 0xFFFFU;
        // Leave headroom so increments within a millisecond never overflow 80 bits.
        random_lo_ = splitmix64(rng_state_) >> 1U;
    } else if (++random_lo_ == 0) {
        ++random_hi_;
    }
    // 128 bits: 48 time, 80 random; 26 base32 characters cover 130 bits.
    const auto time = static_cast<std::uint64_t>(last_ms_) & 0xFFFFFFFFFFFFULL;
    const unsigned __int128 value = (static_cast<unsigned __int128>(time) << 80U) |
                                    (static_cast<unsigned __int128>(random_hi_) << 64U) |
                                    random_lo_;
    std::string out(26, '0');
    for (int i = 25; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kCrockford[static_cast<std::size_t>(
            (value >> (5U * static_cast<unsigned>(25 - i))) & 31U)];
    }
    return out;
}

std::string next_message_id(std::int64_t now_ms) {
    // One generator for the whole process, so that ids are strictly increasing per node:
    // history and recovery order by id, and two messages accepted in the same millisecond
    // on different I/O threads must keep their acceptance order. One uncontended lock per
    // accepted message is the price.
    static std::mutex mutex;
    static MessageIdGenerator generator;
    std::lock_guard lock(mutex);
    return generator.next(now_ms);
}

}  // namespace relay::host
