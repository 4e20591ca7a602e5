#include "rfc6455/frame.hpp"

namespace relay::plugins::websocket::rfc6455 {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::size_t kMaxControlPayload = 125;

bool is_control(std::uint8_t opcode) {
    return (opcode & 0x8) != 0;
}

bool is_known(std::uint8_t opcode) {
    switch (static_cast<Opcode>(opcode)) {
        case Opcode::continuation:
        case Opcode::text:
        case Opcode::binary:
        case Opcode::close:
        case Opcode::ping:
        case Opcode::pong: return true;
    }
    return false;
}

}  // namespace

FrameHeader server_header(Opcode opcode, std::uint64_t payload_size) {
    FrameHeader h;
    h.bytes[0] = static_cast<char>(kFin | static_cast<std::uint8_t>(opcode));
    if (payload_size < 126) {
        h.bytes[1] = static_cast<char>(payload_size);
        h.size = 2;
    } else if (payload_size <= 0xFFFF) {
        h.bytes[1] = static_cast<char>(126);
        h.bytes[2] = static_cast<char>((payload_size >> 8) & 0xFF);
        h.bytes[3] = static_cast<char>(payload_size & 0xFF);
        h.size = 4;
    } else {
        h.bytes[1] = static_cast<char>(127);
        for (std::size_t i = 0; i < 8; ++i) {
            h.bytes[2 + i] = static_cast<char>((payload_size >> (8 * (7 - i))) & 0xFF);
        }
        h.size = 10;
    }
    return h;
}

CloseFrame server_close(CloseCode code) {
    const auto value = static_cast<std::uint16_t>(code);
    CloseFrame f;
    f.bytes = {static_cast<char>(kFin | static_cast<std::uint8_t>(Opcode::close)),
               static_cast<char>(2), static_cast<char>(value >> 8),
               static_cast<char>(value & 0xFF)};
    return f;
}

ParseResult parse_client_frame(char* data, std::size_t size, std::size_t max_payload) {
    ParseResult r;
    if (size < 2) return r;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    const std::uint8_t opcode = bytes[0] & 0x0F;
    const bool fin = (bytes[0] & kFin) != 0;
    if ((bytes[0] & kReservedBits) != 0 || !is_known(opcode) || (bytes[1] & kMaskBit) == 0) {
        r.status = ParseStatus::protocol_error;
        return r;
    }
    std::uint64_t length = bytes[1] & 0x7F;
    std::size_t at = 2;
    if (length == 126) {
        if (size < 4) return r;
        length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
        at = 4;
    } else if (length == 127) {
        if (size < 10) return r;
        length = 0;
        for (std::size_t i = 0; i < 8; ++i) length = (length << 8) | bytes[2 + i];
        at = 10;
        if ((length >> 63) != 0) {
            r.status = ParseStatus::protocol_error;
            return r;
        }
    }
    if (is_control(opcode) && (!fin || length > kMaxControlPayload)) {
        r.status = ParseStatus::protocol_error;
        return r;
    }
    if (length > max_payload) {
        r.status = ParseStatus::too_big;
        return r;
    }
    if (size < at + 4 + length) return r;
    const std::uint8_t* mask = bytes + at;
    char* payload = data + at + 4;
    for (std::size_t i = 0; i < length; ++i) {
        payload[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[i & 3]);
    }
    r.status = ParseStatus::frame;
    r.consumed = at + 4 + static_cast<std::size_t>(length);
    r.frame.opcode = static_cast<Opcode>(opcode);
    r.frame.fin = fin;
    r.frame.payload = std::string_view(payload, static_cast<std::size_t>(length));
    return r;
}

}  // namespace relay::plugins::websocket::rfc6455
