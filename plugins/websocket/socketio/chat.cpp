#include "socketio/chat.hpp"

#include "socketio/json.hpp"

#include <algorithm>
#include <charconv>

namespace relay::plugins::websocket::socketio {
namespace {

std::string_view trim_json_ws(std::string_view s) noexcept {
    const auto ws = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

bool is_server_field(std::string_view key_token) {
    const std::string_view inner = key_token.substr(1, key_token.size() - 2);
    for (const auto name : kServerFieldNames) {
        if (inner == name) return true;
    }
    // Rare: an escaped key (`"r\u006fom"`) is compared after unescaping.
    if (std::find(inner.begin(), inner.end(), '\\') == inner.end()) return false;
    const std::string key = json::unescape(key_token);
    for (const auto name : kServerFieldNames) {
        if (key == name) return true;
    }
    return false;
}

// The client's object, scanned: its members and whether any must be dropped.
struct ClientObject {
    std::string_view text;  // trimmed, '{' ... '}'
    json::MemberList members;
    std::size_t dropped = 0;
    std::size_t kept_bytes = 0;  // kept members' text plus the commas between them
};

std::error_code scan_client(std::string_view client_json, ClientObject& obj) {
    if (auto ec = json::parse_object(client_json, obj.members)) {
        return ec == json::Errc::not_an_object ? Errc::message_not_object : ec;
    }
    obj.text = trim_json_ws(client_json);  // '{' ... '}'
    std::size_t kept = 0;
    for (const auto& m : obj.members) {
        if (is_server_field(m.key)) {
            ++obj.dropped;
        } else {
            obj.kept_bytes += m.text.size();
            ++kept;
        }
    }
    if (kept > 1) obj.kept_bytes += kept - 1;
    return {};
}

constexpr std::string_view kId = "\"id\":";
constexpr std::string_view kRoom = ",\"room\":";
constexpr std::string_view kTs = ",\"ts\":";
constexpr std::string_view kSender = ",\"sender\":";
constexpr std::string_view kUser = ",\"user\":";
constexpr std::string_view kNull = "null";

std::size_t server_fields_size(const ServerFields& f) {
    char buf[24];
    const auto ts = std::to_chars(buf, buf + sizeof buf, f.ts_ms);
    return kId.size() + json::quoted_size(f.id) + kRoom.size() + json::quoted_size(f.room) +
           kTs.size() + static_cast<std::size_t>(ts.ptr - buf) + kSender.size() +
           json::quoted_size(f.sender) + kUser.size() +
           (f.user.empty() ? kNull.size() : json::quoted_size(f.user));
}

void append_server_fields(std::string& out, const ServerFields& f) {
    out.append(kId);
    json::append_string(out, f.id);
    out.append(kRoom);
    json::append_string(out, f.room);
    out.append(kTs);
    char buf[24];
    const auto ts = std::to_chars(buf, buf + sizeof buf, f.ts_ms);
    out.append(buf, ts.ptr);
    out.append(kSender);
    json::append_string(out, f.sender);
    out.append(kUser);
    if (f.user.empty()) {
        out.append(kNull);
    } else {
        json::append_string(out, f.user);
    }
}

std::size_t spliced_size(const ClientObject& obj, const ServerFields& f) {
    const std::size_t client =
        obj.dropped == 0 ? obj.text.size() - 1 : 1 + obj.kept_bytes;  // without the '}'
    const bool comma = obj.members.size() > obj.dropped;
    return client + (comma ? 1 : 0) + server_fields_size(f) + 1;
}

void append_spliced(std::string& out, const ClientObject& obj, const ServerFields& f) {
    bool any = false;
    if (obj.dropped == 0) {
        // Common case: the client's text as it is, up to its closing brace.
        out.append(obj.text.substr(0, obj.text.size() - 1));
        any = !obj.members.empty();
    } else {
        out.push_back('{');
        for (const auto& m : obj.members) {
            if (is_server_field(m.key)) continue;
            if (any) out.push_back(',');
            out.append(m.text);
            any = true;
        }
    }
    if (any) out.push_back(',');
    append_server_fields(out, f);
    out.push_back('}');
}

}  // namespace

std::error_code check_client_message(std::string_view arg_json) {
    if (auto ec = json::validate(arg_json)) return ec;
    return json::kind_of(trim_json_ws(arg_json)) == json::Kind::object ? std::error_code{}
                                                                       : Errc::message_not_object;
}

std::error_code append_spliced_message(std::string& out, std::string_view client_json,
                                       const ServerFields& fields) {
    ClientObject obj;
    if (auto ec = scan_client(client_json, obj)) return ec;
    out.reserve(out.size() + spliced_size(obj, fields));
    append_spliced(out, obj, fields);
    return {};
}

std::size_t spliced_size_bound(std::string_view client_json, const ServerFields& fields) noexcept {
    // spliced_size() is at most the trimmed text without its '}', a comma, the server
    // fields and the '}' back.
    return client_json.size() + 1 + server_fields_size(fields);
}

std::error_code encode_message_broadcast(std::string& out, std::string_view nsp,
                                         std::string_view client_json, const ServerFields& fields,
                                         std::optional<std::string_view> offset,
                                         std::uint32_t attachments) {
    out.clear();
    ClientObject obj;
    if (auto ec = scan_client(client_json, obj)) return ec;
    const EventFrame frame{.nsp = nsp,
                           .name = kMessageEvent,
                           .args = {},
                           .ack_id = std::nullopt,
                           .offset = offset,
                           .attachments = attachments};
    out.reserve(event_size(frame) + 1 + spliced_size(obj, fields));
    append_event_prefix(out, frame);
    out.push_back(',');
    append_spliced(out, obj, fields);
    append_event_suffix(out, frame);
    return {};
}

std::error_code encode_message_broadcast(std::string& out, std::string_view nsp,
                                         const sdk::Message& msg, bool with_offset) {
    const ServerFields fields{
        .id = msg.id, .room = msg.room, .ts_ms = msg.ts_ms, .sender = msg.sender, .user = msg.user};
    return encode_message_broadcast(
        out, nsp, msg.payload_json, fields,
        with_offset ? std::optional<std::string_view>(msg.position) : std::nullopt,
        static_cast<std::uint32_t>(msg.attachments.size()));
}

std::string publish_ack(const sdk::Published& result) {
    std::string out;
    if (!result.error) {
        out = "{\"id\":";
        json::append_string(out, result.id);
        out += '}';
        return out;
    }
    out = "{\"error\":";
    json::append_string(out, result.reason.empty() ? result.error.message() : result.reason);
    if (result.retry_after.count() > 0) {
        out += ",\"retry_after_ms\":";
        out += std::to_string(result.retry_after.count());
    }
    out += '}';
    return out;
}

}  // namespace relay::plugins::websocket::socketio
