#include "json_line.hpp"

#include "base64.hpp"

#include <relay/sdk/payload.hpp>

#include <cstdio>

namespace jsonl_store {

namespace sdk = relay::sdk;

namespace {

/// `text` as a JSON string. Control characters are escaped, everything else (UTF-8
/// included) is written as it is.
void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

/// The strings of a JSON array of base64 strings (no escapes can occur in them).
std::optional<std::vector<std::string>> decode_attachments(std::string_view array) {
    std::vector<std::string> out;
    std::size_t i = array.find('"');
    while (i != std::string_view::npos) {
        const std::size_t end = array.find('"', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        auto bytes = base64_decode(array.substr(i + 1, end - i - 1));
        if (!bytes) return std::nullopt;
        out.push_back(std::move(*bytes));
        i = array.find('"', end + 1);
    }
    return out;
}

}  // namespace

std::string to_json_line(const sdk::Message& msg) {
    std::string line;
    line.reserve(msg.payload_json.size() + 160);
    line += "{\"id\":";
    append_quoted(line, msg.id);
    line += ",\"room\":";
    append_quoted(line, msg.room);
    line += ",\"ts\":" + std::to_string(msg.ts_ms);
    line += ",\"sender\":";
    append_quoted(line, msg.sender);
    line += ",\"user\":";
    append_quoted(line, msg.user);
    line += ",\"position\":";
    append_quoted(line, msg.position);
    line += ",\"payload\":";
    // A payload with a raw line break (JSON allows one as whitespace between tokens)
    // would split the line: it is stored as a JSON string instead, to read back as it was.
    if (msg.payload_json.find_first_of("\n\r") == std::string::npos) {
        line += msg.payload_json;
    } else {
        line += "{\"text\":";
        append_quoted(line, msg.payload_json);
        line += '}';
        line += ",\"payload_is_text\":true";
    }
    line += ",\"attachments\":[";
    for (std::size_t i = 0; i < msg.attachments.size(); ++i) {
        if (i > 0) line += ',';
        line += '"' + base64_encode(msg.attachments[i]) + '"';
    }
    line += "]}\n";
    return line;
}

std::optional<sdk::Message> from_json_line(std::string line) {
    sdk::PayloadEditor fields(line);
    if (!fields.ok()) return std::nullopt;
    auto id = fields.string("id");
    auto room = fields.string("room");
    auto ts = fields.integer("ts");
    auto sender = fields.string("sender");
    auto user = fields.string("user");
    auto position = fields.string("position");
    auto payload = fields.json("payload");
    auto attachments = fields.json("attachments");
    if (!id || !room || !ts || !sender || !user || !position || !payload || !attachments) {
        return std::nullopt;
    }
    sdk::Message msg;
    msg.id = std::move(*id);
    msg.room = std::move(*room);
    msg.ts_ms = *ts;
    msg.sender = std::move(*sender);
    msg.user = std::move(*user);
    msg.position = std::move(*position);
    if (fields.boolean("payload_is_text").value_or(false)) {
        std::string wrapped(*payload);
        auto text = sdk::PayloadEditor(wrapped).string("text");
        if (!text) return std::nullopt;
        msg.payload_json = std::move(*text);
    } else {
        msg.payload_json = std::string(*payload);
    }
    auto bytes = decode_attachments(*attachments);
    if (!bytes) return std::nullopt;
    msg.attachments = std::move(*bytes);
    return msg;
}

}  // namespace jsonl_store
