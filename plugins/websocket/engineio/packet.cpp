#include "engineio/packet.hpp"

#include "engineio/base64.hpp"
#include "error_category.hpp"
#include "rfc6455/utf8.hpp"
#include "socketio/json.hpp"

namespace relay::plugins::websocket::engineio {
namespace {

// The message of each error (the tests pin them word for word).
const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::empty_packet: return "empty packet";
        case Errc::unknown_packet_type: return "unknown packet type";
        case Errc::bad_base64: return "invalid base64 in binary packet";
        case Errc::too_many_packets: return "too many packets in payload";
        case Errc::bad_utf8: return "payload is not valid UTF-8";
    }
    return "invalid Engine.IO packet";
}

}  // namespace

const std::error_category& engineio_category() noexcept {
    static const EnumErrorCategory<Errc> category("relay.websocket.engineio", describe);
    return category;
}

std::error_code decode_frame(const Frame& frame, Packet& out, std::string& scratch) {
    if (frame.binary) {
        out = Packet{PacketType::message, frame.bytes, true};
        return {};
    }
    const std::string_view text = frame.bytes;
    if (text.empty()) return Errc::empty_packet;
    if (text[0] == 'b') {
        scratch.clear();
        if (!append_base64_decoded(scratch, text.substr(1))) return Errc::bad_base64;
        out = Packet{PacketType::message, scratch, true};
        return {};
    }
    if (text[0] < '0' || text[0] > '6') return Errc::unknown_packet_type;
    out = Packet{static_cast<PacketType>(text[0] - '0'), text.substr(1), false};
    return {};
}

std::error_code decode_payload(std::string_view body, std::vector<Frame>& out, std::string& storage,
                               std::size_t max_frames) {
    out.clear();
    storage.clear();
    // The body is text (binary packets travel as base64): bytes that are not UTF-8
    // are refused here, as a WebSocket text frame would be.
    if (!rfc6455::valid_utf8(body)) return Errc::bad_utf8;
    bool reserved = false;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t sep = body.find(kRecordSeparator, pos);
        const std::size_t end = sep == std::string_view::npos ? body.size() : sep;
        const std::string_view record = body.substr(pos, end - pos);
        if (record.empty()) return Errc::empty_packet;
        if (out.size() == max_frames) return Errc::too_many_packets;
        if (record[0] == 'b') {
            // All decoded bytes, plus the 3 bytes of slack a decode briefly uses, fit
            // in the body's size + 3: one reservation keeps every view valid.
            if (!reserved) {
                storage.reserve(body.size() + 3);
                reserved = true;
            }
            const std::size_t at = storage.size();
            if (!append_base64_decoded(storage, record.substr(1))) return Errc::bad_base64;
            out.push_back(Frame{std::string_view(storage).substr(at), true});
        } else if (record[0] >= '0' && record[0] <= '6') {
            out.push_back(Frame{record, false});
        } else {
            return Errc::unknown_packet_type;
        }
        if (sep == std::string_view::npos) return {};
        pos = sep + 1;
    }
}

void append_packet(std::string& out, PacketType type, std::string_view data) {
    out.push_back(static_cast<char>('0' + static_cast<int>(type)));
    out.append(data);
}

std::string encode_packet(PacketType type, std::string_view data) {
    std::string out;
    out.reserve(1 + data.size());
    append_packet(out, type, data);
    return out;
}

std::size_t payload_size(std::span<const Frame> frames) noexcept {
    std::size_t n = frames.empty() ? 0 : frames.size() - 1;
    for (const auto& f : frames) {
        n += f.binary ? 1 + base64_encoded_size(f.bytes.size()) : f.bytes.size();
    }
    return n;
}

void append_payload(std::string& out, std::span<const Frame> frames) {
    bool first = true;
    for (const auto& f : frames) {
        if (!first) out.push_back(kRecordSeparator);
        first = false;
        if (f.binary) {
            out.push_back('b');
            append_base64(out, f.bytes);
        } else {
            out.append(f.bytes);
        }
    }
}

std::string encode_payload(std::span<const Frame> frames) {
    std::string out;
    out.reserve(payload_size(frames));
    append_payload(out, frames);
    return out;
}

std::string encode_open(const OpenParams& p) {
    std::string out;
    out.reserve(96 + p.sid.size() + 16 * p.upgrades.size());
    out.append("0{\"sid\":");
    socketio::json::append_string(out, p.sid);
    out.append(",\"upgrades\":[");
    bool first = true;
    for (const auto upgrade : p.upgrades) {
        if (!first) out.push_back(',');
        first = false;
        socketio::json::append_string(out, upgrade);
    }
    out.append("],\"pingInterval\":");
    socketio::json::append_uint(out, p.ping_interval_ms);
    out.append(",\"pingTimeout\":");
    socketio::json::append_uint(out, p.ping_timeout_ms);
    out.append(",\"maxPayload\":");
    socketio::json::append_uint(out, p.max_payload);
    out.push_back('}');
    return out;
}

}  // namespace relay::plugins::websocket::engineio
