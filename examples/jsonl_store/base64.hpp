#pragma once
// Base64 (RFC 4648, with padding) for attachments: a JSON line holds text only.
#include <optional>
#include <string>
#include <string_view>

namespace jsonl_store {

std::string base64_encode(std::string_view bytes);
/// The bytes, or nothing when `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace jsonl_store
