#pragma once
/// Socket.IO protocol v5 packets: decoding without a DOM.
///
/// Wire format (https://github.com/socketio/socket.io-protocol, v5):
///   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
/// e.g. `2["foo"]`, `2/admin,13["foo"]`, `51-["baz",{"_placeholder":true,"num":0}]`.
/// The text given to decode_packet() is the Engine.IO message's data (the leading
/// Engine.IO `4` already stripped).
///
/// The decoded Packet holds string_views into the decoded text: the namespace, the raw
/// payload and, for EVENT/ACK kinds, the raw JSON text of each array element. Nothing
/// is copied; the payload is validated as JSON once, while its elements are found.

#include "socketio/error.hpp"
#include "socketio/json.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

namespace relay::plugins::websocket::socketio {

enum class PacketType : std::uint8_t {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};

/// The largest ack id JavaScript can hold exactly (Number.MAX_SAFE_INTEGER).
inline constexpr std::uint64_t kMaxAckId = (std::uint64_t{1} << 53) - 1;

struct DecodeLimits {
    std::uint32_t max_attachments = 10;      ///< as socket.io-parser's maxAttachments
    std::size_t max_namespace_length = 256;  ///< bytes, the leading '/' included
    json::Limits json{};                     ///< nesting of the payload
};

/// One decoded packet. Views point into the text given to decode_packet().
struct Packet {
    PacketType type = PacketType::connect;
    std::string_view nsp = "/";         ///< "/" when the packet names none
    std::optional<std::uint64_t> id{};  ///< the ack id
    std::uint32_t attachments = 0;      ///< binary kinds: announced attachment count
    std::string_view data{};            ///< raw JSON payload; empty when absent
    json::ElementList items{};          ///< EVENT/ACK kinds: each element's raw JSON

    bool is_event() const noexcept {
        return type == PacketType::event || type == PacketType::binary_event;
    }
    bool is_ack() const noexcept {
        return type == PacketType::ack || type == PacketType::binary_ack;
    }
    /// EVENT kinds (a decoded EVENT always has one): the event name as its raw JSON
    /// string token (quotes included).
    /// Compare it with json::string_equals(), decode it with json::unescape().
    std::string_view event_name() const noexcept { return items.front(); }
    /// EVENT kinds: the arguments after the name; ACK kinds: all elements.
    std::span<const std::string_view> args() const noexcept {
        const std::span<const std::string_view> all(items.data(), items.size());
        return is_event() ? all.subspan(1) : all;
    }
};

/// Decodes one Socket.IO packet. Strict: every rule the reference parser enforces,
/// plus an ack id only where one belongs, ACK with an id, valid JSON everywhere and,
/// for binary kinds, placeholders matching the announced count (attachment_mismatch,
/// bad_placeholder). Never throws; on error `out` is unspecified.
std::error_code decode_packet(std::string_view text, Packet& out, const DecodeLimits& limits = {});

/// Event names the reference implementation refuses from a client.
bool is_reserved_event_name(std::string_view name) noexcept;

}  // namespace relay::plugins::websocket::socketio
