#pragma once
#include <system_error>

namespace relay::plugins::websocket::socketio {

/// Why a Socket.IO packet was refused. A decode error closes only the connection that
/// sent it (the reference server does the same). Messages are pinned by the tests.
/// JSON syntax errors come from json::Errc (category "relay.websocket.json").
enum class Errc {
    empty_packet = 1,       ///< "" as a Socket.IO packet
    unknown_packet_type,    ///< first character not 0..6
    bad_attachment_count,   ///< `5x-`, `50-`, `5-`, no `-` after the count
    too_many_attachments,   ///< count above DecodeLimits::max_attachments
    bad_namespace,          ///< control character, or longer than the limit
    bad_ack_id,             ///< more digits than a JavaScript safe integer
    unexpected_ack_id,      ///< an id on CONNECT, DISCONNECT or CONNECT_ERROR
    missing_ack_id,         ///< an ACK without its id
    missing_payload,        ///< EVENT or ACK without data
    unexpected_payload,     ///< DISCONNECT with data
    payload_not_object,     ///< CONNECT data that is not an object
    bad_connect_error,      ///< CONNECT_ERROR data that is neither object nor string
    payload_not_array,      ///< EVENT or ACK data that is not an array
    missing_event_name,     ///< EVENT with an empty array
    event_name_not_string,  ///< EVENT whose first element is not a string
    reserved_event_name,    ///< "connect", "disconnect", ... (as socket.io refuses them)
    bad_placeholder,        ///< a `_placeholder` with a bad, repeated or out-of-range num
    attachment_mismatch,    ///< placeholders do not match the announced count
    unexpected_binary,      ///< a binary frame with no binary packet pending
    unexpected_text,        ///< a text frame while attachments are still expected
    attachments_too_large,  ///< attachments of one packet above the byte limit
    message_not_object,     ///< a chat `message` argument that is not a JSON object
};

const std::error_category& socketio_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), socketio_category()};
}

}  // namespace relay::plugins::websocket::socketio

template <>
struct std::is_error_code_enum<relay::plugins::websocket::socketio::Errc> : std::true_type {};
