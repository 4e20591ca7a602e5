#include "admin/api_json.hpp"

#include <algorithm>
#include <array>

#include <relay/sdk/error.hpp>

#include <nlohmann/json.hpp>

namespace relay::host::api {
namespace {

using json = nlohmann::json;

std::string base64(const std::string& bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(bytes[i]) << 16U) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8U) |
                       static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += kAlphabet[(n >> 6U) & 63U];
        out += kAlphabet[n & 63U];
    }
    if (i < bytes.size()) {
        unsigned n = static_cast<unsigned char>(bytes[i]) << 16U;
        if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += i + 1 < bytes.size() ? kAlphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

constexpr auto kReplace = json::error_handler_t::replace;

}  // namespace

std::string message_json(const sdk::Message& msg) {
    json doc = json::parse(msg.payload_json, nullptr, false);
    // The flow lets only objects through; a store holding something else still answers.
    if (!doc.is_object()) doc = json::object({{"payload", msg.payload_json}});
    doc["id"] = msg.id;
    doc["room"] = msg.room;
    doc["ts"] = msg.ts_ms;
    doc["sender"] = msg.sender;
    doc["user"] = msg.user.empty() ? json(nullptr) : json(msg.user);
    if (!msg.attachments.empty()) {
        auto& attachments = doc["_attachments"] = json::array();
        for (const auto& a : msg.attachments) attachments.push_back(base64(a));
    }
    return doc.dump(-1, ' ', false, kReplace);
}

std::string history_page_json(const std::vector<sdk::Message>& messages,
                              const sdk::HistoryQuery& query, std::size_t max_bytes) {
    std::vector<std::string> encoded;
    encoded.reserve(messages.size());
    for (const auto& m : messages) encoded.push_back(message_json(m));
    // Which end is kept when the page is cut: an `after` query reads forward.
    const bool forward = !query.after_id.empty();
    std::size_t first = 0;
    std::size_t last = encoded.size();  // [first, last) goes out
    std::size_t bytes = 0;
    if (forward) {
        last = 0;
        while (last < encoded.size() &&
               (last == 0 || bytes + encoded[last].size() + 1 <= max_bytes)) {
            bytes += encoded[last++].size() + 1;
        }
    } else {
        first = encoded.size();
        while (first > 0 &&
               (first == encoded.size() || bytes + encoded[first - 1].size() + 1 <= max_bytes)) {
            bytes += encoded[--first].size() + 1;
        }
    }
    std::string out = "{\"messages\":[";
    out.reserve(bytes + 128);
    for (std::size_t i = first; i < last; ++i) {
        if (i != first) out += ',';
        out += encoded[i];
    }
    out += ']';
    const bool cut = first != 0 || last != encoded.size();
    if (cut) {
        json next = {{"more", true}};
        if (forward) {
            next["after"] = messages[last - 1].id;
        } else {
            next["before"] = messages[first].id;
        }
        out += ",\"next\":" + next.dump(-1, ' ', false, kReplace);
    }
    out += "}\n";
    return out;
}

std::string presence_json(const std::string& room, const std::vector<sdk::Member>& members) {
    json list = json::array();
    for (const auto& m : members) {
        list.push_back({{"sid", m.sid},
                        {"user", m.user.empty() ? json(nullptr) : json(m.user)},
                        {"node", m.node},
                        {"joined", m.joined_ms}});
    }
    json doc = {{"room", room}, {"count", members.size()}, {"members", std::move(list)}};
    return doc.dump(-1, ' ', false, kReplace) + "\n";
}

json nodes_list(const std::vector<sdk::NodeInfo>& nodes, const std::string& self_id) {
    json list = json::array();
    for (const auto& n : nodes) {
        list.push_back({{"node", n.node}, {"members", n.members}, {"self", n.node == self_id}});
    }
    return list;
}

std::string nodes_problem(std::error_code ec) {
    if (sdk::same_error(ec, sdk::Errc::not_supported)) return "this presence does not list nodes";
    return "presence cannot list the nodes now: " + ec.message();
}

}  // namespace relay::host::api
