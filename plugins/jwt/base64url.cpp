#include "base64url.hpp"

#include <openssl/evp.h>

#include <cstddef>

namespace relay::plugins::jwt {

std::optional<std::string> base64url_decode(std::string_view text) {
    // EVP_DecodeBlock knows only the standard alphabet and whole 4-character groups, and
    // it skips whitespace: so the text is checked here, translated to the standard
    // alphabet and padded, and the bytes the padding stood for are cut off afterwards
    // (EVP_DecodeBlock counts them as zeros).
    const std::size_t padding = (4 - text.size() % 4) % 4;
    if (padding == 3) return std::nullopt;  // one character left over: 6 bits, no byte
    std::string standard;
    standard.reserve(text.size() + padding);
    for (const char c : text) {
        const bool plain =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (plain) {
            standard += c;
        } else if (c == '-') {
            standard += '+';
        } else if (c == '_') {
            standard += '/';
        } else {
            return std::nullopt;
        }
    }
    standard.append(padding, '=');
    std::string bytes(standard.size() / 4 * 3, '\0');
    if (standard.empty()) return bytes;
    const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                        reinterpret_cast<const unsigned char*>(standard.data()),
                                        static_cast<int>(standard.size()));
    if (decoded < 0 || static_cast<std::size_t>(decoded) != bytes.size()) return std::nullopt;
    bytes.resize(bytes.size() - padding);
    return bytes;
}

}  // namespace relay::plugins::jwt
