#pragma once
/// The chat layer on top of Socket.IO: what a client's `message` event carries and
/// what every other member of the room receives.
///
/// A client emits `message` with one JSON object (any fields it likes). Every other
/// member receives event `message` with one object: the client's members, verbatim and
/// in order, followed by the fields the server sets:
///
///   "id"      string   the message id the host gave it (time-ordered)
///   "room"    string   the room, from the sender's session
///   "ts"      number   server time, milliseconds since the Unix epoch
///   "sender"  string   the sender's Socket.IO sid
///   "user"    string   the sender's user name; null when the session has none
///
/// Server fields win: a client member with one of these names (compared after JSON
/// unescaping, so `"r\u006fom"` counts as `room`) is dropped, so the result has
/// unique keys and a client can never redirect or forge them. With connection state
/// recovery the message's queue position follows the object as a last string
/// argument: 42["message",{...},"<offset>"].
///
/// The splice works on the JSON text: the client's object is scanned once (members
/// found, not parsed into a DOM) and copied; the server fields are appended.

#include "socketio/encode.hpp"
#include "socketio/error.hpp"

#include <relay/sdk/message.hpp>
#include <relay/sdk/transport.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace relay::plugins::websocket::socketio {

/// The event name of chat messages, both directions.
inline constexpr std::string_view kMessageEvent = "message";

/// Names of the members the server owns in a broadcast message.
inline constexpr std::array<std::string_view, 5> kServerFieldNames = {"id", "room", "ts", "sender",
                                                                      "user"};

struct ServerFields {
    std::string_view id{};
    std::string_view room{};
    std::int64_t ts_ms = 0;
    std::string_view sender{};
    std::string_view user{};  ///< empty: written as null
};

/// Checks a client's `message` argument (raw JSON): valid JSON and an object, else
/// message_not_object (or the JSON error).
std::error_code check_client_message(std::string_view arg_json);

/// Appends the client's object with the server fields spliced in (see above).
std::error_code append_spliced_message(std::string& out, std::string_view client_json,
                                       const ServerFields& fields);

/// At least the bytes append_spliced_message() appends for `client_json`, without
/// scanning it: budgets (a history page) need sizes before anything is encoded.
std::size_t spliced_size_bound(std::string_view client_json, const ServerFields& fields) noexcept;

/// The whole broadcast frame: 4 + 2[<nsp>,]["message",<spliced>(,"<offset>")], or with
/// `attachments` > 0 the BINARY_EVENT header (its binary frames are the message's
/// attachments, sent unchanged). `out` is cleared, sized once and written.
std::error_code encode_message_broadcast(std::string& out, std::string_view nsp,
                                         std::string_view client_json, const ServerFields& fields,
                                         std::optional<std::string_view> offset,
                                         std::uint32_t attachments = 0);

/// encode_message_broadcast() for a published message; `with_offset` appends
/// `msg.position` for connection state recovery.
std::error_code encode_message_broadcast(std::string& out, std::string_view nsp,
                                         const sdk::Message& msg, bool with_offset);

/// The argument of the sender's ack for a published message: `{"id":"<id>"}` once it is
/// durable, else `{"error":"<reason>"}` (the error code's message when no reason is
/// given), with `"retry_after_ms":N` added when the rejection says when to try again
/// (a rate limit; sdk::Verdict::throttle).
std::string publish_ack(const sdk::Published& result);

}  // namespace relay::plugins::websocket::socketio
