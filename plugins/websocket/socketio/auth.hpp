#pragma once
/// Reading a client's CONNECT payload (`socket.handshake.auth` in socket.io).
///
/// socket.io-client sends its `auth` object as the CONNECT data; when it has a session
/// to recover (connection state recovery) it merges in the private session id and the
/// offset of the last message it received: 40{"pid":"..","offset":"..",<auth...>}.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::websocket::socketio {

/// The value of the string member `key` of the JSON object `object_json`, unescaped.
/// nullopt when the text is not a valid object, the member is absent or not a string.
/// With duplicate keys the last one wins, as with JSON.parse.
std::optional<std::string> string_member(std::string_view object_json, std::string_view key);

/// A client's request to recover its session.
struct RecoveryRequest {
    std::string pid{};     ///< the private session id the server gave in its CONNECT reply
    std::string offset{};  ///< the last message offset the client saw; empty if none
};

/// The recovery request in a CONNECT payload: present when `pid` is a string; `offset`
/// is taken when it is a string too (a client that saw no message sends none).
std::optional<RecoveryRequest> recovery_request(std::string_view auth_json);

/// What is wrong with a room or user name a client claims, if anything.
enum class NameProblem : std::uint8_t {
    none,
    too_long,           ///< more than the allowed bytes
    not_utf8,           ///< not valid UTF-8 (RFC 3629: no overlongs, no surrogates)
    control_character,  ///< C0 (U+0000..U+001F), DEL or C1 (U+0080..U+009F)
};

/// Checks a room or user name: at most `max_bytes` bytes, valid UTF-8, no control
/// characters (they would reach every member's screen and log line).
NameProblem check_name(std::string_view name, std::size_t max_bytes) noexcept;

/// The connect_error message for a refused name: `Invalid <what>: <why>`, e.g.
/// "Invalid room id: longer than 128 bytes", "Invalid user: not valid UTF-8",
/// "Invalid user: contains a control character".
std::string name_error(std::string_view what, NameProblem problem, std::size_t max_bytes);

}  // namespace relay::plugins::websocket::socketio
