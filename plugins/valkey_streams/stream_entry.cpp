#include "stream_entry.hpp"

#include "valkey/fields.hpp"

#include <charconv>
#include <system_error>
#include <utility>

namespace relay::plugins::valkey_streams {

std::optional<EntryId> EntryId::parse(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    EntryId id;
    auto a = std::from_chars(text.data(), text.data() + dash, id.ms);
    auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), id.seq);
    if (a.ec != std::errc() || a.ptr != text.data() + dash || b.ec != std::errc() ||
        b.ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return id;
}

std::string position_of(std::size_t partition, std::string_view entry_id) {
    return std::to_string(partition) + ":" + std::string(entry_id);
}

void append_entry_fields(std::vector<std::string>& args, sdk::Message&& msg) {
    auto field = [&args](const char* name, std::string value) {
        args.emplace_back(name);
        args.push_back(std::move(value));
    };
    field("id", std::move(msg.id));
    field("room", std::move(msg.room));
    field("sender", std::move(msg.sender));
    field("user", std::move(msg.user));
    field("ts", std::to_string(msg.ts_ms));
    field("payload", std::move(msg.payload_json));
    if (!msg.attachments.empty()) field("att", valkey::pack_fields(msg.attachments));
}

std::optional<sdk::Message> decode_entry(const valkey::Reply& fields) {
    if (!fields.is_array() || fields.elements.size() % 2 != 0) return std::nullopt;
    sdk::Message msg;
    bool has_id = false;
    for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
        const std::string& name = fields.elements[i].str;
        const std::string& value = fields.elements[i + 1].str;
        if (name == "id") {
            msg.id = value;
            has_id = true;
        } else if (name == "room") {
            msg.room = value;
        } else if (name == "sender") {
            msg.sender = value;
        } else if (name == "user") {
            msg.user = value;
        } else if (name == "ts") {
            msg.ts_ms = fields.elements[i + 1].as_integer();
        } else if (name == "payload") {
            msg.payload_json = value;
        } else if (name == "att") {
            auto attachments = valkey::unpack_fields(value);
            if (!attachments) return std::nullopt;
            msg.attachments = std::move(*attachments);
        }
    }
    if (!has_id) return std::nullopt;
    return msg;
}

}  // namespace relay::plugins::valkey_streams
