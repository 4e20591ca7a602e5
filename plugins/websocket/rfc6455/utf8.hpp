#pragma once
/// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), as RFC 6455 requires of text messages and close reasons (8.1). Engine.IO
/// polling bodies are the same text and are held to the same rule. Pure.
#include <string_view>

namespace relay::plugins::websocket::rfc6455 {

/// True when `text` is well-formed UTF-8. ASCII runs are checked a word at a time.
bool valid_utf8(std::string_view text) noexcept;

}  // namespace relay::plugins::websocket::rfc6455
