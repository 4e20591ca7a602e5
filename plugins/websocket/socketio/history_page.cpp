#include "socketio/history_page.hpp"

#include "socketio/chat.hpp"
#include "socketio/json.hpp"
#include "socketio/placeholders.hpp"
#include "socketio/renumber.hpp"

namespace relay::plugins::websocket::socketio {
namespace {

/// Digits a renumbered placeholder `num` can gain: the sequence is a 32-bit count.
constexpr std::size_t kRenumberGrowth = 10;

ServerFields fields_of(const sdk::Message& m) {
    return {m.id, m.room, m.ts_ms, m.sender, m.user};
}

}  // namespace

std::size_t history_entry_bytes(const sdk::Message& msg, std::size_t frame_overhead) {
    std::size_t bytes = 1 + spliced_size_bound(msg.payload_json, fields_of(msg));
    if (msg.attachments.empty()) return bytes;
    PlaceholderNums nums;
    if (!find_placeholders(msg.payload_json, nums)) bytes += nums.size() * kRenumberGrowth;
    for (const auto& attachment : msg.attachments) bytes += attachment.size() + frame_overhead;
    return bytes;
}

PageCut cut_history_page(std::span<const std::size_t> sizes, PageEnd keep, std::size_t budget,
                         std::size_t room) {
    const std::size_t n = sizes.size();
    // The i-th message counted from the kept end.
    auto size_at = [&](std::size_t i) {
        return keep == PageEnd::newest ? sizes[n - 1 - i] : sizes[i];
    };
    std::size_t count = 0;
    std::size_t used = 0;
    while (count < n && size_at(count) <= budget - used) {
        used += size_at(count);
        ++count;
    }
    if (count == 0 && n > 0 && size_at(0) <= room) count = 1;
    return {keep == PageEnd::newest ? n - count : 0, count, count < n};
}

std::string history_more_object(PageEnd keep, std::string_view cursor) {
    std::string out = "{\"more\":true";
    if (!cursor.empty()) {
        out += keep == PageEnd::newest ? ",\"before\":" : ",\"after\":";
        json::append_string(out, cursor);
    }
    out += '}';
    return out;
}

void append_history_array(std::string& out, std::span<sdk::Message> messages,
                          std::vector<std::string>& attachments) {
    out += '[';
    bool first = true;
    std::string spliced;
    for (auto& m : messages) {
        const std::size_t mark = out.size();
        if (!first) out += ',';
        if (m.attachments.empty()) {
            // Straight into the reply; append_spliced_message() appends nothing on error.
            if (append_spliced_message(out, m.payload_json, fields_of(m))) {
                out.resize(mark);
                continue;
            }
            first = false;
            continue;
        }
        spliced.clear();
        if (append_spliced_message(spliced, m.payload_json, fields_of(m))) {
            out.resize(mark);
            continue;
        }
        first = false;
        append_renumbered(out, spliced, static_cast<std::uint32_t>(attachments.size()));
        for (auto& attachment : m.attachments) attachments.push_back(std::move(attachment));
    }
    out += ']';
}

}  // namespace relay::plugins::websocket::socketio
