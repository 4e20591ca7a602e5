#include "socketio/packet.hpp"

#include "error_category.hpp"
#include "socketio/placeholders.hpp"

#include <algorithm>
#include <array>

namespace relay::plugins::websocket::socketio {
namespace {

// The message of each error (the tests pin them word for word).
const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::empty_packet: return "empty packet";
        case Errc::unknown_packet_type: return "unknown packet type";
        case Errc::bad_attachment_count: return "invalid attachment count";
        case Errc::too_many_attachments: return "too many attachments";
        case Errc::bad_namespace: return "invalid namespace";
        case Errc::bad_ack_id: return "invalid ack id";
        case Errc::unexpected_ack_id: return "ack id not allowed on this packet type";
        case Errc::missing_ack_id: return "ACK without an ack id";
        case Errc::missing_payload: return "missing payload";
        case Errc::unexpected_payload: return "DISCONNECT must not carry a payload";
        case Errc::payload_not_object: return "CONNECT payload must be an object";
        case Errc::bad_connect_error: return "CONNECT_ERROR payload must be an object or a string";
        case Errc::payload_not_array: return "payload must be an array";
        case Errc::missing_event_name: return "EVENT payload must not be empty";
        case Errc::event_name_not_string: return "event name must be a string";
        case Errc::reserved_event_name: return "reserved event name";
        case Errc::bad_placeholder: return "invalid attachment placeholder";
        case Errc::attachment_mismatch:
            return "attachment placeholders do not match the attachment count";
        case Errc::unexpected_binary: return "binary frame without a pending binary packet";
        case Errc::unexpected_text: return "text frame while binary attachments are pending";
        case Errc::attachments_too_large: return "binary attachments exceed the size limit";
        case Errc::message_not_object: return "message must be a JSON object";
    }
    return "invalid Socket.IO packet";
}

constexpr std::array<std::string_view, 6> kReservedEventNames = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr bool is_json_ws(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

std::string_view trim_json_ws(std::string_view s) noexcept {
    while (!s.empty() && is_json_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_json_ws(s.back())) s.remove_suffix(1);
    return s;
}

// A plain non-negative integer literal (JSON already validated), else nullopt.
std::optional<std::size_t> placeholder_index(std::string_view text) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    std::size_t v = 0;
    for (const char c : text) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    return v;
}

// Checks the `{"_placeholder":true,"num":k}` objects of a binary packet's payload:
// each num an integer in [0, count), none repeated, exactly `count` of them.
std::error_code check_placeholders(std::string_view payload, std::uint32_t count,
                                   const json::Limits& limits) {
    PlaceholderNums nums;
    if (auto ec = find_placeholders(payload, nums, limits)) return ec;
    boost::container::small_vector<bool, 16> seen(count, false);
    for (const std::string_view text : nums) {
        const std::optional<std::size_t> num = placeholder_index(text);
        if (!num || *num >= seen.size() || seen[*num]) return Errc::bad_placeholder;
        seen[*num] = true;
    }
    return nums.size() == count ? std::error_code{} : Errc::attachment_mismatch;
}

std::error_code check_event_items(const Packet& p) {
    if (p.items.empty()) return Errc::missing_event_name;
    if (json::kind_of(p.items.front()) != json::Kind::string) return Errc::event_name_not_string;
    for (const std::string_view reserved : kReservedEventNames) {
        if (json::string_equals(p.items.front(), reserved)) return Errc::reserved_event_name;
    }
    return {};
}

std::error_code check_payload(Packet& p, const DecodeLimits& limits) {
    switch (p.type) {
        case PacketType::connect: {
            if (p.data.empty()) return {};
            if (auto ec = json::validate(p.data, limits.json)) return ec;
            return json::kind_of(p.data) == json::Kind::object ? std::error_code{}
                                                               : Errc::payload_not_object;
        }
        case PacketType::disconnect:
            return p.data.empty() ? std::error_code{} : Errc::unexpected_payload;
        case PacketType::connect_error: {
            if (p.data.empty()) return Errc::missing_payload;
            if (auto ec = json::validate(p.data, limits.json)) return ec;
            const json::Kind kind = json::kind_of(p.data);
            return kind == json::Kind::object || kind == json::Kind::string
                       ? std::error_code{}
                       : Errc::bad_connect_error;
        }
        case PacketType::event:
        case PacketType::binary_event:
        case PacketType::ack:
        case PacketType::binary_ack: {
            if (p.data.empty()) return Errc::missing_payload;
            if (auto ec = json::parse_array(p.data, p.items, limits.json)) {
                return ec == json::Errc::not_an_array ? Errc::payload_not_array : ec;
            }
            if (p.is_event()) {
                if (auto ec = check_event_items(p)) return ec;
            } else if (!p.id) {
                return Errc::missing_ack_id;
            }
            if (p.attachments > 0) {
                return check_placeholders(p.data, p.attachments, limits.json);
            }
            return {};
        }
    }
    return Errc::unknown_packet_type;
}

}  // namespace

const std::error_category& socketio_category() noexcept {
    static const EnumErrorCategory<Errc> category("relay.websocket.socketio", describe);
    return category;
}

bool is_reserved_event_name(std::string_view name) noexcept {
    return std::ranges::any_of(kReservedEventNames,
                               [name](std::string_view reserved) { return name == reserved; });
}

std::error_code decode_packet(std::string_view text, Packet& out, const DecodeLimits& limits) {
    out.nsp = "/";
    out.id.reset();
    out.attachments = 0;
    out.data = {};
    out.items.clear();

    if (text.empty()) return Errc::empty_packet;
    if (text[0] < '0' || text[0] > '6') return Errc::unknown_packet_type;
    out.type = static_cast<PacketType>(text[0] - '0');
    std::size_t i = 1;

    if (out.type == PacketType::binary_event || out.type == PacketType::binary_ack) {
        const std::size_t start = i;
        std::uint64_t count = 0;
        while (i < text.size() && is_digit(text[i])) {
            if (count <= limits.max_attachments) count = count * 10 + (text[i] - '0');
            ++i;
        }
        if (i == start || i == text.size() || text[i] != '-') return Errc::bad_attachment_count;
        if (count == 0) return Errc::bad_attachment_count;
        if (count > limits.max_attachments) return Errc::too_many_attachments;
        out.attachments = static_cast<std::uint32_t>(count);
        ++i;  // '-'
    }

    if (i < text.size() && text[i] == '/') {
        // The namespace runs to the comma; the reference parser also ends it at the
        // end of the text (`0/admin`), so we do too.
        const std::size_t comma = text.find(',', i);
        const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
        out.nsp = text.substr(i, end - i);
        if (out.nsp.size() > limits.max_namespace_length) return Errc::bad_namespace;
        for (const char c : out.nsp) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7F) return Errc::bad_namespace;
        }
        i = comma == std::string_view::npos ? text.size() : comma + 1;
    }

    if (i < text.size() && is_digit(text[i])) {
        std::uint64_t id = 0;
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i])) {
            if (i - start >= 16) return Errc::bad_ack_id;  // > 16 digits cannot be safe
            id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
            ++i;
        }
        if (id > kMaxAckId) return Errc::bad_ack_id;
        if (out.type == PacketType::connect || out.type == PacketType::disconnect ||
            out.type == PacketType::connect_error) {
            return Errc::unexpected_ack_id;
        }
        out.id = id;
    }

    out.data = trim_json_ws(text.substr(i));
    if (out.data.empty() && i < text.size()) {
        return json::Errc::empty;  // whitespace only where a payload was expected
    }
    return check_payload(out, limits);
}

}  // namespace relay::plugins::websocket::socketio
