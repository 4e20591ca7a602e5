#include "server/refusal.hpp"

#include "engineio/handshake.hpp"

namespace relay::plugins::websocket {

std::string_view limit_setting(Limit limit) noexcept {
    switch (limit) {
        case Limit::max_connections: return "max_connections";
        case Limit::connection_rate_per_address: return "connection_rate_per_address";
        case Limit::max_connections_per_address: return "max_connections_per_address";
        case Limit::max_polling_sessions_per_address: return "max_polling_sessions_per_address";
    }
    return "max_connections";
}

unsigned refusal_status(Limit limit) noexcept {
    return limit == Limit::max_connections ? 503 : 429;
}

std::string_view refusal_message(Limit limit) noexcept {
    switch (limit) {
        case Limit::max_connections: return "server busy: max_connections hit";
        case Limit::connection_rate_per_address:
            return "too many new connections from this address";
        case Limit::max_connections_per_address: return "too many connections from this address";
        case Limit::max_polling_sessions_per_address:
            return "too many polling sessions from this address";
    }
    return "refused";
}

std::string refusal_body(Limit limit) {
    return engineio::http_error_body(engineio::HttpError::forbidden, refusal_message(limit));
}

std::string refusal_response(Limit limit, std::chrono::seconds retry_after) {
    const std::string body = refusal_body(limit);
    std::string out = refusal_status(limit) == 503 ? "HTTP/1.1 503 Service Unavailable\r\n"
                                                   : "HTTP/1.1 429 Too Many Requests\r\n";
    out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nRetry-After: " + std::to_string(std::max<std::int64_t>(1, retry_after.count())) +
           "\r\nConnection: close\r\n\r\n" + body;
    return out;
}

}  // namespace relay::plugins::websocket
