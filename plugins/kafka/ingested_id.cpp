#include "ingested_id.hpp"

#include <algorithm>
#include <string_view>

namespace relay::plugins::kafka {

std::string ingested_message_id(std::int64_t time_ms, std::int32_t partition, std::int64_t offset) {
    static constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << 48U) - 1;
    // 128 bits as two halves: time (48) and partition (16) above, the offset below.
    const std::uint64_t high =
        ((static_cast<std::uint64_t>(std::max<std::int64_t>(time_ms, 0)) & kTimeMask) << 16U) |
        (static_cast<std::uint32_t>(partition) & 0xFFFFU);
    const auto low = static_cast<std::uint64_t>(offset);
    // 26 characters of 5 bits each, from the most significant: the first holds 3 bits.
    std::string id(26, '0');
    for (int i = 25; i >= 0; --i) {
        const int shift = (25 - i) * 5;  // bit position of this character's lowest bit
        std::uint64_t digit = 0;
        if (shift < 64) digit = low >> static_cast<unsigned>(shift);
        if (shift > 59)
            digit |= shift >= 64 ? high >> static_cast<unsigned>(shift - 64)
                                 : high << static_cast<unsigned>(64 - shift);
        id[static_cast<std::size_t>(i)] = kCrockford[digit & 31U];
    }
    return id;
}

}  // namespace relay::plugins::kafka
