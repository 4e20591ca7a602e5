#include "engineio/handshake.hpp"

#include "engineio/packet.hpp"
#include "socketio/json.hpp"

namespace relay::plugins::websocket::engineio {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded decoding; a '%' not followed by two hex digits
// stays as it is (as URLSearchParams leaves it).
std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::string_view http_error_message(HttpError error) noexcept {
    switch (error) {
        case HttpError::unknown_transport: return "Transport unknown";
        case HttpError::unknown_sid: return "Session ID unknown";
        case HttpError::bad_handshake_method: return "Bad handshake method";
        case HttpError::bad_request: return "Bad request";
        case HttpError::forbidden: return "Forbidden";
        case HttpError::unsupported_protocol_version: return "Unsupported protocol version";
    }
    return "Bad request";
}

unsigned http_error_status(HttpError error) noexcept {
    return error == HttpError::forbidden ? 403 : 400;
}

std::string http_error_body(HttpError error, std::string_view message) {
    if (message.empty()) message = http_error_message(error);
    std::string out;
    out.reserve(24 + message.size());
    out.append("{\"code\":");
    out.push_back(static_cast<char>('0' + static_cast<int>(error)));
    out.append(",\"message\":");
    socketio::json::append_string(out, message);
    out.push_back('}');
    return out;
}

Query parse_query(std::string_view target) {
    Query q;
    const std::size_t question = target.find('?');
    q.path = target.substr(0, question);
    if (question == std::string_view::npos) return q;
    std::string_view rest = target.substr(question + 1);
    const std::size_t hash = rest.find('#');
    if (hash != std::string_view::npos) rest = rest.substr(0, hash);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const std::string key = form_decode(pair.substr(0, eq));
        const std::string_view raw =
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        std::string* field = key == "EIO"         ? &q.eio
                             : key == "transport" ? &q.transport
                             : key == "sid"       ? &q.sid
                             : key == "t"         ? &q.t
                                                  : nullptr;
        if (field) *field = form_decode(raw);
    }
    return q;
}

std::optional<Transport> transport_of(std::string_view name) noexcept {
    if (name == "polling") return Transport::polling;
    if (name == "websocket") return Transport::websocket;
    return std::nullopt;
}

std::optional<HttpError> check_request(const Query& query, std::string_view method, bool upgrade,
                                       const RequestPolicy& policy) {
    const auto transport = transport_of(query.transport);
    if (!transport || (*transport == Transport::polling && !policy.polling) ||
        (*transport == Transport::websocket && !policy.websocket)) {
        return HttpError::unknown_transport;
    }
    if (!query.sid.empty()) return std::nullopt;
    if (method != "GET") return HttpError::bad_handshake_method;
    if (*transport == Transport::websocket && !upgrade) return HttpError::bad_request;
    if (query.eio != "4") return HttpError::unsupported_protocol_version;
    return std::nullopt;
}

}  // namespace relay::plugins::websocket::engineio
