#pragma once
#include "engineio/handshake.hpp"
#include "server/client_stream.hpp"
#include "server/connection_slot.hpp"
#include "server/refusal.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/live_value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace relay::plugins::websocket {

class AddressLimits;
class EngineSession;
class SessionRegistry;
class Shard;
struct LinkShared;
struct SessionShared;
struct Telemetry;

/// The settings an HTTP connection reads.
struct HttpOptions {
    std::string path;                               ///< the Engine.IO endpoint, with both slashes
    sdk::LiveValue<std::uint64_t> max_payload;      ///< a request body's largest size (live)
    std::chrono::milliseconds handshake_timeout{};  ///< a request, a response
    bool polling{};                                 ///< Engine.IO transports allowed
    bool websocket{};
    std::vector<std::string> cors_origins;  ///< polling origins besides the page's own; "*": any
    std::vector<std::string> ws_origins;    ///< WebSocket origins besides the page's own; "*": any
    sdk::LiveValue<std::uint64_t> max_sessions;  ///< max_connections, in sessions (live)
    bool serve_page{};
};

/// What the HTTP connections of one transport share (the transport owns it).
struct HttpShared {
    HttpOptions options;
    SessionRegistry& registry;      ///< where polling requests and upgrades find a session
    AddressLimits& addresses;       ///< max_polling_sessions_per_address
    const SessionShared& sessions;  ///< for the sessions a handshake opens
    const LinkShared& links;        ///< for the WebSocket links an upgrade makes
    /// EngineSession objects alive, against max_sessions.
    const std::atomic<std::int64_t>& live_sessions;
    Telemetry& telemetry;               ///< bad_packets, refusals
    const std::atomic<bool>& stopping;  ///< the transport is stopping: no new sessions
};

/// One accepted connection speaking HTTP/1.1, over plain TCP or TLS: Engine.IO polling
/// requests, the WebSocket upgrade (after which the connection belongs to a
/// WebSocketLink), the chat page, CORS preflights. Keep-alive; one request at a time.
/// Thread safety: its shard's executor only.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    /// `remote_address`: the peer's IP address, for the sessions it opens.
    /// A connection on `shard` (its thread), counted by `slot`.
    HttpConnection(ClientStream stream, const HttpShared& shared, Shard& shard, ConnectionSlot slot,
                   std::string remote_address);
    /// The TLS handshake (within handshake_timeout) if the stream has TLS, then requests.
    void start();

private:
    void read_request();
    void on_request(Request request);
    /// A request body went over max_payload: closes the session it was posting to.
    void close_posting_session();
    void on_engineio(Request request);
    void on_upgrade(Request request, const std::string& sid);
    void on_poll(Request request, const std::string& sid);
    void serve_page(const Request& request);
    void watch_for_hangup(const std::shared_ptr<EngineSession>& session);
    void after_watch(std::function<void()> next);
    /// Writes `response`, then reads the next request (keep-alive) or closes. A failed
    /// write of a poll response closes `polled`'s session.
    void send(Response response, std::shared_ptr<EngineSession> polled = nullptr);
    /// The reference server's error response; the connection stays open if the
    /// request asked for keep-alive and `keep_alive` allows it.
    void send_engineio_error(const Request& request, engineio::HttpError error,
                             bool keep_alive = true);
    /// After an answer that closes the connection: reads and drops until the client
    /// closes too (or a second passes), so it gets the answer rather than a reset.
    void linger();
    /// A handshake past max_connections sessions: true when it was refused (answered).
    bool refuse_if_sessions_full(const Request& request);
    /// Answers a handshake refused by `limit` (refusal.hpp) and closes the connection.
    void refuse(const Request& request, Limit limit, std::chrono::seconds retry_after);
    void add_cors(const Request& request, Response& response) const;
    /// The origin policy (origin_policy.hpp) with ws_origins for an `upgrade`, else
    /// cors_origins.
    bool origin_allowed_for(const Request& request, bool upgrade) const;

    ClientStream stream_;
    const HttpShared& shared_;
    Shard& shard_;
    ConnectionSlot slot_;
    std::string remote_address_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    bool watching_ = false;              // a long poll's hangup watch is pending
    std::function<void()> after_watch_;  // what runs once the watch was cancelled
};

}  // namespace relay::plugins::websocket
