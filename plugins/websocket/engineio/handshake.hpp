#pragma once
/// The HTTP side of Engine.IO v4: the request target's query (`EIO`, `transport`,
/// `sid`, `t`), the checks the reference server makes before a handshake or an
/// upgrade, and its error responses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::websocket::engineio {

/// The error codes of the reference server (engine.io's Server.errors), sent as
/// `{"code":<code>,"message":"<message>"}` with status 400 (403 for forbidden).
enum class HttpError : std::uint8_t {
    unknown_transport = 0,             ///< "Transport unknown"
    unknown_sid = 1,                   ///< "Session ID unknown"
    bad_handshake_method = 2,          ///< "Bad handshake method"
    bad_request = 3,                   ///< "Bad request"
    forbidden = 4,                     ///< "Forbidden"
    unsupported_protocol_version = 5,  ///< "Unsupported protocol version"
};

std::string_view http_error_message(HttpError error) noexcept;
unsigned http_error_status(HttpError error) noexcept;

/// The JSON body of an error response, as engine.io writes it. A non-empty
/// `message` replaces the standard one (engine.io does that for `allowRequest`
/// refusals). Content-Type: application/json. (A refused WebSocket upgrade gets the
/// bare message as a text/html 400 instead: use http_error_message().)
std::string http_error_body(HttpError error, std::string_view message = {});

enum class Transport : std::uint8_t { polling, websocket };

/// The Engine.IO parameters of a request target, percent-decoded like
/// URLSearchParams (`+` is a space; the last of repeated keys wins). An empty
/// value counts as absent, as in the reference server.
struct Query {
    std::string_view path{};  ///< the target up to '?', not decoded
    std::string eio{};        ///< protocol revision, "4"
    std::string transport{};  ///< "polling" or "websocket"
    std::string sid{};        ///< the session id, after the handshake
    std::string t{};          ///< cache buster (ignored)
};

Query parse_query(std::string_view target);

std::optional<Transport> transport_of(std::string_view name) noexcept;

struct RequestPolicy {
    bool polling = true;  ///< transports the server offers
    bool websocket = true;
};

/// The reference server's checks, in its order: the transport must be offered
/// (unknown_transport); with a `sid`, nothing more here (the caller looks the session
/// up: unknown_sid, or bad_request when a non-upgrade request names another
/// transport than the session's). Without a `sid` (a handshake): the method must be
/// GET (bad_handshake_method), a WebSocket handshake must be an upgrade
/// (bad_request), and EIO must be "4" (unsupported_protocol_version).
std::optional<HttpError> check_request(const Query& query, std::string_view method, bool upgrade,
                                       const RequestPolicy& policy = {});

}  // namespace relay::plugins::websocket::engineio
