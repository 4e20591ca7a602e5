#pragma once
/// The valkey_streams queue's own errors (category "valkey_streams").
#include <system_error>

namespace relay::plugins::valkey_streams {

/// The queue's own errors (category "valkey_streams"), for read_after().
enum class QueueErrc {
    /// The message to read after is not in the room's stream: trimmed (maxlen), never
    /// added here, another room's, or the partition count changed since.
    message_not_found = 1,
};
const std::error_category& streams_category() noexcept;
std::error_code make_error_code(QueueErrc e) noexcept;

}  // namespace relay::plugins::valkey_streams

template <>
struct std::is_error_code_enum<relay::plugins::valkey_streams::QueueErrc> : std::true_type {};
