#include "socketio/encode.hpp"

#include "socketio/json.hpp"

namespace relay::plugins::websocket::socketio {
namespace {

constexpr std::size_t digits(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

bool named(std::string_view nsp) noexcept {
    return !nsp.empty() && nsp != "/";
}

// `4<type>[<attachments>-][<nsp>,][<id>]`
std::size_t header_size(std::string_view nsp, std::optional<std::uint64_t> id,
                        std::uint32_t attachments) noexcept {
    std::size_t n = 2;
    if (attachments > 0) n += digits(attachments) + 1;
    if (named(nsp)) n += nsp.size() + 1;
    if (id) n += digits(*id);
    return n;
}

void append_header(std::string& out, char type, std::string_view nsp,
                   std::optional<std::uint64_t> id, std::uint32_t attachments) {
    out.push_back('4');
    out.push_back(type);
    if (attachments > 0) {
        json::append_uint(out, attachments);
        out.push_back('-');
    }
    if (named(nsp)) {
        out.append(nsp);
        out.push_back(',');
    }
    if (id) json::append_uint(out, *id);
}

std::size_t array_size(std::span<const std::string_view> args) noexcept {
    std::size_t n = 2 + (args.empty() ? 0 : args.size() - 1);
    for (const auto arg : args) n += arg.size();
    return n;
}

// The items of an array whose '[' is written; a comma before the first unless `first`.
void append_items(std::string& out, std::span<const std::string_view> args, bool first) {
    for (const auto arg : args) {
        if (!first) out.push_back(',');
        out.append(arg);
        first = false;
    }
}

// A member of a CONNECT or CONNECT_ERROR payload: `prefix` (`{` or `,`, and the key with
// its colon) and the value, a text to write as a JSON string, or JSON to copy as it is.
// Left out when it has no value.
struct PayloadMember {
    std::string_view prefix;
    std::optional<std::string_view> value;
    bool is_json = false;

    std::size_t size() const noexcept {
        if (!value) return 0;
        return prefix.size() + (is_json ? value->size() : json::quoted_size(*value));
    }
    void append_to(std::string& out) const {
        if (!value) return;
        out.append(prefix);
        if (is_json) {
            out.append(*value);
        } else {
            json::append_string(out, *value);
        }
    }
};

// `4<type>[<nsp>,]{<first>[<second>]}`: CONNECT and CONNECT_ERROR, whose payload is an
// object of one or two members.
std::string encode_object_packet(char type, std::string_view nsp, const PayloadMember& first,
                                 const PayloadMember& second) {
    std::string out;
    out.reserve(header_size(nsp, std::nullopt, 0) + first.size() + second.size() + 1);
    append_header(out, type, nsp, std::nullopt, 0);
    first.append_to(out);
    second.append_to(out);
    out.push_back('}');
    return out;
}

}  // namespace

std::size_t event_size(const EventFrame& f) noexcept {
    std::size_t n = header_size(f.nsp, f.ack_id, f.attachments);
    n += 2 + json::quoted_size(f.name);  // [ "name" ]
    for (const auto arg : f.args) n += 1 + arg.size();
    if (f.offset) n += 1 + json::quoted_size(*f.offset);
    return n;
}

void append_event_prefix(std::string& out, const EventFrame& f) {
    append_header(out, f.attachments > 0 ? '5' : '2', f.nsp, f.ack_id, f.attachments);
    out.push_back('[');
    json::append_string(out, f.name);
    append_items(out, f.args, false);
}

void append_event_suffix(std::string& out, const EventFrame& f) {
    if (f.offset) {
        out.push_back(',');
        json::append_string(out, *f.offset);
    }
    out.push_back(']');
}

void append_event(std::string& out, const EventFrame& f) {
    append_event_prefix(out, f);
    append_event_suffix(out, f);
}

std::string encode_event(const EventFrame& frame) {
    std::string out;
    out.reserve(event_size(frame));
    append_event(out, frame);
    return out;
}

std::string encode_ack(std::string_view nsp, std::uint64_t id,
                       std::span<const std::string_view> args, std::uint32_t attachments) {
    std::string out;
    out.reserve(header_size(nsp, id, attachments) + array_size(args));
    append_header(out, attachments > 0 ? '6' : '3', nsp, id, attachments);
    out.push_back('[');
    append_items(out, args, true);
    out.push_back(']');
    return out;
}

std::string encode_connect(std::string_view nsp, std::string_view sid,
                           std::optional<std::string_view> pid) {
    return encode_object_packet('0', nsp, {.prefix = "{\"sid\":", .value = sid},
                                {.prefix = ",\"pid\":", .value = pid});
}

std::string encode_connect_error(std::string_view nsp, std::string_view message,
                                 std::optional<std::string_view> data_json) {
    return encode_object_packet('4', nsp, {.prefix = "{\"message\":", .value = message},
                                {.prefix = ",\"data\":", .value = data_json, .is_json = true});
}

std::string encode_disconnect(std::string_view nsp) {
    std::string out;
    out.reserve(header_size(nsp, std::nullopt, 0));
    append_header(out, '1', nsp, std::nullopt, 0);
    return out;
}

void append_placeholder(std::string& out, std::uint32_t num) {
    out.append(R"({"_placeholder":true,"num":)");
    json::append_uint(out, num);
    out.push_back('}');
}

std::string placeholder(std::uint32_t num) {
    std::string out;
    out.reserve(28 + digits(num));
    append_placeholder(out, num);
    return out;
}

}  // namespace relay::plugins::websocket::socketio
