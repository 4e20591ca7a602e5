#pragma once
/// RFC 6455 framing for the server side, after the HTTP upgrade: headers of the
/// (unmasked) frames the server sends, and a parser of the (masked) frames clients
/// send. Pure: no sockets, no allocation beyond what the caller passes in.
///
/// Why not Beast's websocket::stream after the handshake: it writes one message per
/// call, and the transport must send every frame queued for a connection in one
/// gathered write (docs/architecture.md, "Performance design"); Beast also keeps a read buffer
/// per connection, which idle connections should not pay for. Beast still does the
/// upgrade handshake.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace relay::plugins::websocket::rfc6455 {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Close status codes the server sends (RFC 6455 section 7.4.1). In answer to a
/// client's close the server echoes the client's code, which may be any valid one
/// (rfc6455/close.hpp).
enum class CloseCode : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    invalid_payload = 1007,  ///< a text message or close reason that is not UTF-8
    too_big = 1009,
};

/// The header of one unmasked, final server frame: 2, 4 or 10 bytes.
struct FrameHeader {
    std::array<char, 10> bytes{};
    std::uint8_t size = 0;
    std::string_view view() const { return {bytes.data(), size}; }
};

FrameHeader server_header(Opcode opcode, std::uint64_t payload_size);

/// A whole close frame (header and status code) as the server sends it.
struct CloseFrame {
    std::array<char, 4> bytes{};
    std::string_view view() const { return {bytes.data(), bytes.size()}; }
};
CloseFrame server_close(CloseCode code);

/// One client frame, its payload unmasked in place.
struct ClientFrame {
    Opcode opcode = Opcode::continuation;
    bool fin = false;
    std::string_view payload;
};

/// What parse_client_frame() found at the front of the bytes.
enum class ParseStatus {
    frame,           ///< `frame` is set; `consumed` bytes are used up
    need_more,       ///< the frame is not complete yet
    protocol_error,  ///< not a valid client frame (close with 1002)
    too_big,         ///< a payload over the limit (close with 1009)
};

struct ParseResult {
    ParseStatus status = ParseStatus::need_more;
    std::size_t consumed = 0;
    ClientFrame frame;
};

/// Parses the client frame at the front of `data[0, size)`, unmasking its payload in
/// place. Refuses what a client must not send: unmasked frames, reserved bits (no
/// extension is negotiated), reserved opcodes, fragmented or long control frames,
/// 64-bit lengths with the top bit set; and data payloads over `max_payload` (checked
/// on the header, before the payload arrives).
ParseResult parse_client_frame(char* data, std::size_t size, std::size_t max_payload);

}  // namespace relay::plugins::websocket::rfc6455
