#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::sdk {

/// The time (ms since the epoch) at the start of a message id. The host makes every
/// Message::id a ULID: 26 Crockford base32 characters (case-insensitive) whose first
/// 48 bits are the time the host accepted the message, the rest random. A queue that
/// looks a message up by id (Queue::read_after) can start its search at that time.
/// nullopt for an id that is not a ULID (a client's made-up offset, say).
inline std::optional<std::int64_t> message_id_time(std::string_view id) {
    static constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (id.size() != 26) return std::nullopt;
    // 26 characters of 5 bits are 130 bits for a 128-bit value: the first character
    // holds 3 bits. The first 10 characters are the 48-bit time.
    std::uint64_t time = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i] >= 'a' && id[i] <= 'z' ? static_cast<char>(id[i] - 'a' + 'A') : id[i];
        const auto digit = kCrockford.find(c);
        if (digit == std::string_view::npos || (i == 0 && digit > 7)) return std::nullopt;
        if (i < 10) time = (time << 5U) | digit;
    }
    return static_cast<std::int64_t>(time);
}

}  // namespace relay::sdk
