#pragma once
/// Base64 (RFC 4648, standard alphabet) for Engine.IO binary packets over HTTP
/// long-polling, where a binary message travels as `b<base64>`. Encoding pads with
/// '=' as Node's Buffer#toString("base64") does.

#include <cstddef>
#include <string>
#include <string_view>

namespace relay::plugins::websocket::engineio {

constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
    return 4 * ((n + 2) / 3);
}

/// Appends the padded base64 encoding of `bytes`.
void append_base64(std::string& out, std::string_view bytes);
std::string base64_encode(std::string_view bytes);

/// Appends the bytes `text` encodes. Strict: only the standard alphabet, padding
/// optional but, when present, correct (Node's decoder silently skips bad characters;
/// a client never sends them). Returns false, leaving `out` as it was, on bad input.
bool append_base64_decoded(std::string& out, std::string_view text);

}  // namespace relay::plugins::websocket::engineio
