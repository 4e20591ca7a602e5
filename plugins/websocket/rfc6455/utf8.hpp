#pragma once
/// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), as RFC 6455 requires of text messages and close reasons (8.1). Engine.IO
/// polling bodies are the same text and are held to the same rule. Pure.
#include <cstddef>
#include <string_view>

namespace relay::plugins::websocket::rfc6455 {

/// True when `text` is well-formed UTF-8. ASCII runs are checked a word at a time.
bool valid_utf8(std::string_view text) noexcept;

/// The length (2 to 4) of the well-formed multi-byte sequence `rest` starts with, or 0
/// when it starts with anything else (ASCII included). For scanners that meet non-ASCII
/// bytes one sequence at a time (the JSON reader).
std::size_t utf8_sequence_length(std::string_view rest) noexcept;

}  // namespace relay::plugins::websocket::rfc6455
