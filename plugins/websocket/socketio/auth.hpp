#pragma once
/// Reading a client's CONNECT payload (`socket.handshake.auth` in socket.io).
///
/// socket.io-client sends its `auth` object as the CONNECT data; when it has a session
/// to recover (connection state recovery) it merges in the private session id and the
/// offset of the last message it received: 40{"pid":"..","offset":"..",<auth...>}.

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

}  // namespace relay::plugins::websocket::socketio
