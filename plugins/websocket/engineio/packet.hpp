#pragma once
/// Engine.IO protocol v4 packets (https://github.com/socketio/engine.io-protocol).
///
/// Over WebSocket every packet is one frame: a text frame `<type>[<data>]` (`4hello`,
/// `2`, `3probe`), or a binary frame whose bytes are a `message` packet's data, with no
/// type byte. Over HTTP long-polling a body carries several packets separated by the
/// record separator `\x1e`; a binary message there is `b<base64>`:
///   4hello\x1e4€\x1ebAQIDBA==
///
/// Decoding returns views into the input; base64 records are decoded into caller
/// storage. Nothing throws.

#include "engineio/error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::websocket::engineio {

enum class PacketType : std::uint8_t {
    open = 0,
    close = 1,
    ping = 2,
    pong = 3,
    message = 4,
    upgrade = 5,
    noop = 6,
};

inline constexpr char kRecordSeparator = '\x1e';

/// One frame as the WebSocket carries it (and as a polling payload is split into).
struct Frame {
    std::string_view bytes{};
    bool binary = false;
};

/// A decoded packet. `binary` only for a `message` whose data is bytes.
struct Packet {
    PacketType type = PacketType::message;
    std::string_view data{};
    bool binary = false;
};

/// Decodes one frame. A text frame `b<base64>` (which engine.io-parser accepts on
/// any transport) is decoded into `scratch`, which `out.data` then views.
std::error_code decode_frame(const Frame& frame, Packet& out, std::string& scratch);

/// Splits a polling request body into its frames: text records as they are, `b`
/// records base64-decoded into `storage`. `storage` is cleared and reserved once for
/// the whole body, so the views handed out stay valid until it is next modified.
/// Strict: a body that is not UTF-8, an empty body, an empty record (`4a\x1e`) or
/// bad base64 is an error, as is more than `max_frames` records.
std::error_code decode_payload(std::string_view body, std::vector<Frame>& out, std::string& storage,
                               std::size_t max_frames = 256);

/// `<type><data>`, e.g. encode_packet(PacketType::pong, "probe") == "3probe".
void append_packet(std::string& out, PacketType type, std::string_view data = {});
std::string encode_packet(PacketType type, std::string_view data = {});

/// Joins frames into a polling response body: text frames verbatim, binary frames as
/// `b<base64>`, separated by `\x1e`. The frames are the ones already encoded for
/// WebSocket (a broadcast's shared frame is reused as it is).
std::size_t payload_size(std::span<const Frame> frames) noexcept;
void append_payload(std::string& out, std::span<const Frame> frames);
std::string encode_payload(std::span<const Frame> frames);

/// The handshake data of the `open` packet.
struct OpenParams {
    std::string_view sid{};
    std::span<const std::string_view> upgrades{};  ///< e.g. {"websocket"} on polling, {} on ws
    std::uint64_t ping_interval_ms = 25000;
    std::uint64_t ping_timeout_ms = 20000;
    std::uint64_t max_payload = 1'000'000;
};

/// The open packet as the reference server writes it:
/// 0{"sid":"..","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
std::string encode_open(const OpenParams& params);

}  // namespace relay::plugins::websocket::engineio
