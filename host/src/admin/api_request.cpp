#include "admin/api_request.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace relay::host::api {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPrefix = "/api/v1";

ApiError bad_request(std::string reason) {
    return {400, "bad request", std::move(reason)};
}

Parsed fail(ApiError error, std::string allow = {}) {
    Parsed parsed;
    parsed.error = std::move(error);
    parsed.allow = std::move(allow);
    return parsed;
}

Parsed ok(Request request) {
    Parsed parsed;
    parsed.request = std::move(request);
    return parsed;
}

bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t code = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            extra = 1;
            code = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            code = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            code = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= text.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            code = (code << 6) | (next & 0x3F);
        }
        // Overlong forms, surrogates and code points past Unicode's end.
        constexpr std::array<std::uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
        if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

/// `name=value` pairs of a query, decoded; nullopt with `error` set when one is not.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query,
                                                              ApiError& error) {
    std::map<std::string, std::string> params;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value) {
            error = bad_request("the query has a malformed %-escape");
            return std::nullopt;
        }
        params[std::move(*name)] = std::move(*value);
    }
    return params;
}

/// The query parameter `name` as a count in [1, max]; `fallback` when absent.
std::optional<std::size_t> count_param(const std::map<std::string, std::string>& params,
                                       const std::string& name, std::size_t fallback,
                                       std::size_t max, ApiError& error) {
    auto it = params.find(name);
    if (it == params.end()) return fallback;
    std::size_t value = 0;
    const auto& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) {
        error = bad_request(name + " must be an integer from 1 to " + std::to_string(max) +
                            ", got '" + text + "'");
        return std::nullopt;
    }
    return value;
}

/// Refuses query parameters other than `known`: a typo must not pass unnoticed.
bool only_known(const std::map<std::string, std::string>& params,
                std::initializer_list<std::string_view> known, ApiError& error) {
    for (const auto& [name, value] : params) {
        bool found = false;
        for (const auto k : known) found = found || name == k;
        if (!found) {
            error = bad_request("unknown query parameter '" + name + "'");
            return false;
        }
    }
    return true;
}

/// The body as a JSON object, or the error to answer.
std::optional<json> object_body(std::string_view body, ApiError& error) {
    if (body.empty()) {
        error = bad_request("the request needs a JSON object as its body");
        return std::nullopt;
    }
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
        error = {400, "malformed json", "the body is not valid JSON (UTF-8)"};
        return std::nullopt;
    }
    if (!doc.is_object()) {
        error = bad_request("the body must be a JSON object");
        return std::nullopt;
    }
    return doc;
}

/// The string field `name` of `doc` (absent: empty), or false with `error` set.
bool string_field(const json& doc, const char* name, std::string& out, ApiError& error) {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) return true;
    if (!it->is_string()) {
        error = bad_request(std::string(name) + " must be a string");
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool refuse_unknown_fields(const json& doc, std::initializer_list<std::string_view> known,
                           ApiError& error) {
    for (const auto& [name, value] : doc.items()) {
        bool found = false;
        for (const auto k : known) found = found || name == k;
        if (!found) {
            error = bad_request("unknown field '" + name + "'");
            return false;
        }
    }
    return true;
}

Parsed parse_publish(std::string room, std::string_view body) {
    ApiError error;
    auto doc = object_body(body, error);
    if (!doc) return fail(error);
    if (!refuse_unknown_fields(*doc, {"message", "user"}, error)) return fail(error);
    auto message = doc->find("message");
    if (message == doc->end() || !message->is_object()) {
        return fail(bad_request("message must be a JSON object: {\"message\": {...}}"));
    }
    Publish publish;
    publish.room = std::move(room);
    if (!string_field(*doc, "user", publish.user, error)) return fail(error);
    if (publish.user.size() > kMaxUserBytes) {
        return fail(bad_request("user is longer than " + std::to_string(kMaxUserBytes) + " bytes"));
    }
    for (const char c : publish.user) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return fail(bad_request("user has a control character"));
        }
    }
    publish.payload_json = message->dump();
    return ok(std::move(publish));
}

Parsed parse_history(std::string room, const std::map<std::string, std::string>& params) {
    ApiError error;
    if (!only_known(params, {"limit", "before", "after"}, error)) return fail(error);
    History history;
    history.room = std::move(room);
    const auto limit = count_param(params, "limit", kHistoryDefaultLimit, kHistoryMaxLimit, error);
    if (!limit) return fail(error);
    history.query.limit = *limit;
    if (auto it = params.find("before"); it != params.end()) history.query.before_id = it->second;
    if (auto it = params.find("after"); it != params.end()) history.query.after_id = it->second;
    if (!history.query.before_id.empty() && !history.query.after_id.empty()) {
        return fail(bad_request("give before or after, not both"));
    }
    return ok(std::move(history));
}

Parsed parse_disconnect(std::string_view body) {
    ApiError error;
    auto doc = object_body(body, error);
    if (!doc) return fail(error);
    if (!refuse_unknown_fields(*doc, {"sid", "user", "room", "reconnect"}, error)) {
        return fail(error);
    }
    Disconnect disconnect;
    auto& target = disconnect.target;
    if (!string_field(*doc, "sid", target.sid, error) ||
        !string_field(*doc, "user", target.user, error) ||
        !string_field(*doc, "room", target.room, error)) {
        return fail(error);
    }
    if (target.sid.empty() == target.user.empty()) {
        return fail(bad_request("name either sid or user (not both)"));
    }
    if (auto it = doc->find("reconnect"); it != doc->end()) {
        if (!it->is_boolean()) return fail(bad_request("reconnect must be true or false"));
        target.allow_reconnect = it->get<bool>();
    }
    return ok(std::move(disconnect));
}

/// The path below /api/v1 split at '/', each segment decoded.
std::optional<std::vector<std::string>> segments(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        if (path.front() == '/') path.remove_prefix(1);
        const auto slash = path.find('/');
        auto decoded = percent_decode(path.substr(0, slash));
        if (!decoded) return std::nullopt;
        parts.push_back(std::move(*decoded));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
    }
    return parts;
}

}  // namespace

bool is_api_target(std::string_view target) {
    return target == "/api" || target.starts_with("/api/") || target.starts_with("/api?");
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c != '%') {
            out += c;
        } else {
            if (i + 2 >= text.size()) return std::nullopt;
            unsigned value = 0;
            const auto [end, ec] =
                std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
            if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
            out += static_cast<char>(value);
            i += 2;
        }
    }
    return out;
}

std::string room_problem(std::string_view room) {
    if (room.empty()) return "the room name is empty";
    if (room.size() > kMaxRoomBytes) {
        return "the room name is longer than " + std::to_string(kMaxRoomBytes) + " bytes";
    }
    if (!valid_utf8(room)) return "the room name is not UTF-8";
    for (const char c : room) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return "the room name has a control character";
        }
    }
    return {};
}

Parsed parse(std::string_view method, std::string_view target, std::string_view body) {
    const auto question = target.find('?');
    const auto path = target.substr(0, question);
    const auto query =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    const ApiError not_found{404, "not found",
                             "no such endpoint; see docs/api.md (GET /api/v1/info, "
                             "/api/v1/rooms, /api/v1/rooms/{room}/messages, ...)"};
    if (!path.starts_with(kPrefix) ||
        (path.size() > kPrefix.size() && path[kPrefix.size()] != '/')) {
        return fail(not_found);
    }
    auto parts = segments(path.substr(kPrefix.size()));
    if (!parts) return fail(bad_request("the path has a malformed %-escape"));
    ApiError error;
    auto params = parse_query(query, error);
    if (!params) return fail(error);
    const auto wrong_method = [&](const std::string& allow) {
        return fail(
            {405, "method not allowed", std::string(method) + " is not allowed here; use " + allow},
            allow);
    };

    const auto& p = *parts;
    if (p.size() == 1 && p[0] == "info") {
        if (method != "GET") return wrong_method("GET");
        if (!only_known(*params, {}, error)) return fail(error);
        return ok(Info{});
    }
    if (p.size() == 1 && p[0] == "nodes") {
        if (method != "GET") return wrong_method("GET");
        if (!only_known(*params, {}, error)) return fail(error);
        return ok(Nodes{});
    }
    if (p.size() == 1 && p[0] == "rooms") {
        if (method != "GET") return wrong_method("GET");
        if (!only_known(*params, {"limit"}, error)) return fail(error);
        const auto limit = count_param(*params, "limit", kRoomsDefaultLimit, kRoomsMaxLimit, error);
        if (!limit) return fail(error);
        return ok(Rooms{*limit});
    }
    if (p.size() == 1 && p[0] == "disconnect") {
        if (method != "POST") return wrong_method("POST");
        if (!only_known(*params, {}, error)) return fail(error);
        return parse_disconnect(body);
    }
    if (p.size() == 3 && p[0] == "rooms" && (p[2] == "messages" || p[2] == "presence")) {
        const bool messages = p[2] == "messages";
        const auto* const allowed = messages ? "GET, POST" : "GET";
        if (method != "GET" && !(messages && method == "POST")) return wrong_method(allowed);
        if (auto problem = room_problem(p[1]); !problem.empty()) {
            return fail({400, "invalid room", problem});
        }
        if (!messages) {
            if (!only_known(*params, {}, error)) return fail(error);
            return ok(Presence{p[1]});
        }
        if (method == "GET") return parse_history(p[1], *params);
        if (!only_known(*params, {}, error)) return fail(error);
        return parse_publish(p[1], body);
    }
    return fail(not_found);
}

}  // namespace relay::host::api
