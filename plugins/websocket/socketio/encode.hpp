#pragma once
/// Server-side Socket.IO v5 encoders. Each produces the complete text of one Engine.IO
/// `message` frame, i.e. `4` followed by the Socket.IO packet, exactly as the reference
/// server (socket.io-parser's Encoder, JSON.stringify) writes it:
///
///   event          42["message",{...}]          42/admin,["message",{...},"<offset>"]
///   ack            43<id>[...]                  43/admin,<id>[...]
///   connect        40{"sid":"..","pid":".."}    40/admin,{"sid":".."}
///   connect_error  44{"message":"Invalid room id"}
///   disconnect     41                           41/admin,
///   binary event   451-["e",{"_placeholder":true,"num":0}]  + 1 binary frame
///
/// A frame is built once per broadcast and shared by every recipient: each encoder
/// computes the exact size, reserves once and writes; the `append_*` forms write into
/// a caller's buffer. Arguments given as JSON are copied verbatim (they must be valid
/// JSON, e.g. views from decode_packet()); names, sids and messages are escaped.
/// Precondition everywhere: a namespace is "/" or starts with '/' and has no ','.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace relay::plugins::websocket::socketio {

/// An EVENT (or, with attachments, a BINARY_EVENT header) to encode.
struct EventFrame {
    std::string_view nsp = "/";
    std::string_view name{};                   ///< event name, plain UTF-8
    std::span<const std::string_view> args{};  ///< raw JSON of each argument
    std::optional<std::uint64_t> ack_id{};     ///< ask the client to acknowledge
    /// Connection state recovery: the position of this message, appended as the last
    /// argument (a JSON string), as socket.io's session-aware adapter does.
    std::optional<std::string_view> offset{};
    std::uint32_t attachments = 0;  ///< > 0: BINARY_EVENT; args hold placeholders
};

std::size_t event_size(const EventFrame& frame) noexcept;
void append_event(std::string& out, const EventFrame& frame);
std::string encode_event(const EventFrame& frame);

/// append_event() in two halves, for writers that produce an argument in place:
/// the prefix is `4` + header + `["<name>"` + `,<arg>` for each of `frame.args`; the
/// suffix is `,"<offset>"` (if any) + `]`.
void append_event_prefix(std::string& out, const EventFrame& frame);
void append_event_suffix(std::string& out, const EventFrame& frame);

/// ACK (or BINARY_ACK header when `attachments` > 0) answering the client's ack id.
std::string encode_ack(std::string_view nsp, std::uint64_t id,
                       std::span<const std::string_view> args, std::uint32_t attachments = 0);

/// The CONNECT reply: `{"sid":..}` plus `"pid"` when connection state recovery is on.
std::string encode_connect(std::string_view nsp, std::string_view sid,
                           std::optional<std::string_view> pid = std::nullopt);

/// CONNECT_ERROR `{"message":..}`, plus `"data":<data_json>` when given (what the
/// reference server sends for `next(err)` with `err.data`).
std::string encode_connect_error(std::string_view nsp, std::string_view message,
                                 std::optional<std::string_view> data_json = std::nullopt);

std::string encode_disconnect(std::string_view nsp);

/// `{"_placeholder":true,"num":<num>}`, the stand-in for attachment `num`.
void append_placeholder(std::string& out, std::uint32_t num);
std::string placeholder(std::uint32_t num);

}  // namespace relay::plugins::websocket::socketio
