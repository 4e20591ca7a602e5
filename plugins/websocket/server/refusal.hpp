#pragma once
/// The transport's limits on connections and Engine.IO handshakes, and how a refusal
/// by one of them is answered.
///
/// A refused handshake gets engine.io's JSON error body, as its `allowRequest` refusal
/// writes it, `{"code":4,"message":"<why>"}`, but with a status that says "not now"
/// rather than 403: 503 for the server-wide max_connections, 429 for the limits of one
/// remote address; both with Retry-After, and the connection closed after the answer.
/// socket.io-client reports it as a connect_error and retries with its backoff.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::plugins::websocket {

enum class Limit : std::uint8_t {
    max_connections,                   ///< TCP connections, and Engine.IO sessions
    connection_rate_per_address,       ///< new TCP connections a second from one address
    max_connections_per_address,       ///< TCP connections open from one address
    max_polling_sessions_per_address,  ///< sessions opened over polling by one address
};
inline constexpr std::size_t kLimitCount = 4;

/// The setting's name; also the `limit` label of relay_websocket_limit_refusals_total.
std::string_view limit_setting(Limit limit) noexcept;
/// 503 for max_connections, else 429.
unsigned refusal_status(Limit limit) noexcept;
/// Why, in words for the client.
std::string_view refusal_message(Limit limit) noexcept;
/// engine.io's error body: {"code":4,"message":"<refusal_message>"}.
std::string refusal_body(Limit limit);
/// The whole HTTP/1.1 response, for a connection refused before its request was read.
std::string refusal_response(Limit limit, std::chrono::seconds retry_after);

}  // namespace relay::plugins::websocket
