#include "rfc6455/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace relay::plugins::websocket::rfc6455 {

std::size_t utf8_sequence_length(std::string_view rest) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(rest.data());
    if (rest.empty()) return 0;
    const unsigned char lead = p[0];
    // The second byte's range excludes overlongs (E0, F0), surrogates (ED) and code
    // points past U+10FFFF (F4).
    std::size_t continuation = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation = 2;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation = 3;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (rest.size() <= continuation) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (std::size_t i = 2; i <= continuation; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    }
    return continuation + 1;
}

bool valid_utf8(std::string_view text) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = p + text.size();
    constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
    while (p != end) {
        // Chat text is mostly ASCII: skip it eight bytes at a time.
        while (end - p >= 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, p, sizeof word);
            if ((word & kHighBits) != 0) break;
            p += 8;
        }
        if (p == end) break;
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const auto length = utf8_sequence_length(
            {reinterpret_cast<const char*>(p), static_cast<std::size_t>(end - p)});
        if (length == 0) return false;
        p += length;
    }
    return true;
}

}  // namespace relay::plugins::websocket::rfc6455
