#include "server/http_connection.hpp"

#include "server/engine_session.hpp"
#include "server/opening_request.hpp"
#include "server/origin_policy.hpp"
#include "server/random_id.hpp"
#include "server/session_registry.hpp"
#include "server/shard.hpp"
#include "server/static_assets.hpp"
#include "server/telemetry.hpp"
#include "server/websocket_link.hpp"

#include <algorithm>

#include <boost/beast/websocket.hpp>

namespace relay::plugins::websocket {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = beast::websocket;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;
// How long a connection closed after its answer keeps reading (see linger()).
constexpr std::chrono::seconds kLingerLimit{1};
constexpr const char* kServerName = "relay";

/// Moves a connected socket to another thread's io_context (a WebSocket upgrade
/// arriving on another connection than the session's thread).
tcp::socket move_socket(tcp::socket socket, const sdk::Executor& to) {
    const auto protocol = socket.local_endpoint().protocol();
    const auto fd = socket.release();
    return {to, protocol, fd};
}

/// An error after which the connection just ends: the client went, the deadline
/// passed, or TLS failed (no HTTP answer can be sent through a broken TLS stream, and a
/// TLS client that closes without close_notify is only gone).
bool quiet_end(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout ||
           ec == boost::asio::error::operation_aborted ||
           ec == boost::asio::error::connection_reset ||
           ec.category() == boost::asio::error::get_ssl_category() ||
           ec == boost::asio::ssl::error::stream_truncated;
}

}  // namespace

HttpConnection::HttpConnection(ClientStream stream, const HttpShared& shared, Shard& shard,
                               ConnectionSlot slot, std::string remote_address)
    : stream_(std::move(stream)),
      shared_(shared),
      shard_(shard),
      slot_(std::move(slot)),
      remote_address_(std::move(remote_address)) {}

void HttpConnection::start() {
    TlsStream* tls = stream_.tls();
    if (tls == nullptr) {
        read_request();
        return;
    }
    stream_.tcp().expires_after(shared_.options.handshake_timeout);
    tls->async_handshake(
        boost::asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                // A plain-HTTP client, one that does not trust the certificate, a
                // scanner: nothing to answer.
                self->shared_.telemetry.tls_handshake_failures.add();
                self->shared_.telemetry.log.debug("TLS handshake with " + self->remote_address_ +
                                                  " failed: " + ec.message());
                beast::error_code ignored;
                self->stream_.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
                return;
            }
            self->read_request();
        });
}

void HttpConnection::read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(shared_.options.max_payload.get());
    stream_.tcp().expires_after(shared_.options.handshake_timeout);
    http::async_read(
        stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (quiet_end(ec)) {
                beast::error_code ignored;
                self->stream_.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
                return;
            }
            if (ec) {
                // Malformed HTTP or a body over max_payload: answer once, then close.
                self->shared_.telemetry.bad_packets.add();
                if (ec == http::error::body_limit) self->close_posting_session();
                Response res{ec == http::error::body_limit ? http::status::payload_too_large
                                                           : http::status::bad_request,
                             11};
                res.set(http::field::server, kServerName);
                res.set(http::field::content_type, "text/plain");
                res.body() =
                    ec == http::error::body_limit ? "payload over max_payload\n" : "bad request\n";
                res.keep_alive(false);
                self->send(std::move(res));
                return;
            }
            self->on_request(self->parser_->release());
        });
}

void HttpConnection::close_posting_session() {
    // The client's POST failed, so the client closes (transport error); the session
    // goes too, as it does for a WebSocket message over max_payload, rather than
    // lingering until its ping times out.
    const auto query = engineio::parse_query(parser_->get().target());
    if (query.sid.empty()) return;
    if (auto session = shared_.registry.find(query.sid)) {
        boost::asio::post(session->executor(),
                          [session] { session->close("transport error", false); });
    }
}

void HttpConnection::on_request(Request request) {
    const std::string_view target = request.target();
    const auto path = target.substr(0, target.find('?'));
    if (path == shared_.options.path ||
        path == std::string_view(shared_.options.path).substr(0, shared_.options.path.size() - 1)) {
        on_engineio(std::move(request));
        return;
    }
    serve_page(request);
}

void HttpConnection::add_cors(const Request& request, Response& response) const {
    const auto origin = request[http::field::origin];
    if (origin.empty()) return;
    const auto& allowed = shared_.options.cors_origins;
    const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
    if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
    response.set(http::field::access_control_allow_origin, origin);
    response.set(http::field::access_control_allow_credentials, "true");
    response.set(http::field::vary, "Origin");
}

bool HttpConnection::origin_allowed_for(const Request& request, bool upgrade) const {
    return origin_allowed(request[http::field::origin], request[http::field::host],
                          upgrade ? shared_.options.ws_origins : shared_.options.cors_origins);
}

void HttpConnection::send_engineio_error(const Request& request, engineio::HttpError error,
                                         bool keep_alive) {
    Response res{static_cast<http::status>(engineio::http_error_status(error)), request.version()};
    res.set(http::field::server, kServerName);
    res.set(http::field::content_type, "application/json");
    add_cors(request, res);
    res.body() = engineio::http_error_body(error);
    res.keep_alive(keep_alive && request.keep_alive());
    send(std::move(res));
}

bool HttpConnection::refuse_if_sessions_full(const Request& request) {
    // Sessions, not only TCP connections: many polling sessions fit in one connection.
    if (static_cast<std::uint64_t>(shared_.live_sessions.load()) < shared_.options.max_sessions) {
        return false;
    }
    refuse(request, Limit::max_connections, std::chrono::seconds(1));
    return true;
}

void HttpConnection::refuse(const Request& request, Limit limit, std::chrono::seconds retry_after) {
    shared_.telemetry.count_refusal(limit);
    Response res{static_cast<http::status>(refusal_status(limit)), request.version()};
    res.set(http::field::server, kServerName);
    res.set(http::field::content_type, "application/json");
    res.set(http::field::retry_after,
            std::to_string(std::max<std::int64_t>(1, retry_after.count())));
    add_cors(request, res);
    res.body() = refusal_body(limit);
    // Closed: a client refused for its address comes back through the accept limits.
    res.keep_alive(false);
    send(std::move(res));
}

void HttpConnection::on_engineio(Request request) {
    if (request.method() == http::verb::options) {
        Response res{http::status::no_content, request.version()};
        res.set(http::field::server, kServerName);
        add_cors(request, res);
        res.set(http::field::access_control_allow_methods, "GET, POST");
        if (auto h = request[http::field::access_control_request_headers]; !h.empty()) {
            res.set(http::field::access_control_allow_headers, h);
        }
        res.keep_alive(request.keep_alive());
        send(std::move(res));
        return;
    }
    const auto query = engineio::parse_query(request.target());
    const bool upgrade = ws::is_upgrade(request);
    engineio::RequestPolicy policy;
    policy.polling = shared_.options.polling;
    policy.websocket = shared_.options.websocket;
    if (auto error = engineio::check_request(query, std::string_view(request.method_string()),
                                             upgrade, policy)) {
        send_engineio_error(request, *error);
        return;
    }
    if (query.sid.empty() && shared_.stopping) {
        // No new sessions on a stopping node; the client retries (elsewhere, or here
        // after the restart). Existing sessions still fetch their last frames.
        Response res{http::status::service_unavailable, request.version()};
        res.set(http::field::server, kServerName);
        res.set(http::field::content_type, "text/plain");
        add_cors(request, res);
        res.body() = "server shutting down\n";
        res.keep_alive(false);
        send(std::move(res));
        return;
    }
    if (!origin_allowed_for(request, upgrade)) {
        // A page of another origin gets nothing done here in its visitor's name: not
        // a WebSocket, and not a polling request (which a browser sends even when
        // it will not let the page read the answer).
        shared_.telemetry.refused.add();
        send_engineio_error(request, engineio::HttpError::forbidden);
        return;
    }
    if (upgrade) {
        if (query.transport != "websocket") {
            send_engineio_error(request, engineio::HttpError::bad_request);
            return;
        }
        on_upgrade(std::move(request), query.sid);
        return;
    }
    if (query.transport != "polling") {
        send_engineio_error(request, engineio::HttpError::bad_request);
        return;
    }
    on_poll(std::move(request), query.sid);
}

void HttpConnection::on_upgrade(Request request, const std::string& sid) {
    if (sid.empty() && refuse_if_sessions_full(request)) return;
    std::shared_ptr<EngineSession> session;
    if (sid.empty()) {
        // A WebSocket-only client: the session lives on this connection's thread.
        session = std::make_shared<EngineSession>(shared_.sessions, shard_, random_id(),
                                                  opening_request(request));
        session->set_remote_address(remote_address_);
    } else {
        session = shared_.registry.find(sid);
        if (!session) {
            send_engineio_error(request, engineio::HttpError::unknown_sid);
            return;
        }
    }
    stream_.tcp().expires_never();
    auto req = std::make_shared<Request>(std::move(request));
    // The link's stream does the handshake; the session opens (or upgrades) on its own
    // thread once it succeeded.
    auto attach = [session, opening = sid.empty()](const std::shared_ptr<WebSocketLink>& link) {
        if (opening) {
            session->open_websocket(link);
        } else {
            session->begin_upgrade(link);
        }
    };
    if (stream_.tls() != nullptr) {
        // TLS cannot move to another io_context (Asio's ssl stream keeps timers of the one
        // it was made on): the handshake runs here, then the link's handlers run on the
        // session's thread while its I/O stays with this one.
        auto link = std::make_shared<WebSocketLink>(stream_.release_tls(), session->executor(),
                                                    shared_.links, std::move(slot_));
        link->accept(req, [link, attach, home = session->executor()](bool ok) {
            if (ok) boost::asio::post(home, [link, attach] { attach(link); });
        });
        return;
    }
    if (sid.empty()) {
        auto link = std::make_shared<WebSocketLink>(stream_.release_socket(), shared_.links,
                                                    std::move(slot_));
        link->accept(req, [link, attach](bool ok) {
            if (ok) attach(link);
        });
        return;
    }
    // The socket moves to the session's thread; the handshake happens there.
    boost::asio::post(
        session->executor(), [session, req, attach, socket = stream_.release_socket(),
                              &links = shared_.links, slot = std::move(slot_)]() mutable {
            auto moved = move_socket(std::move(socket), session->executor());
            auto link = std::make_shared<WebSocketLink>(std::move(moved), links, std::move(slot));
            link->accept(req, [link, attach](bool ok) {
                if (ok) attach(link);
            });
        });
}

void HttpConnection::on_poll(Request request, const std::string& sid) {
    if (sid.empty()) {
        // The handshake: a new session on this connection's thread.
        if (request.method() != http::verb::get) {
            send_engineio_error(request, engineio::HttpError::bad_handshake_method);
            return;
        }
        if (refuse_if_sessions_full(request)) return;
        auto admission = shared_.addresses.admit_polling_session(remote_address_);
        if (admission.refused) {
            refuse(request, *admission.refused, admission.retry_after);
            return;
        }
        auto session = std::make_shared<EngineSession>(shared_.sessions, shard_, random_id(),
                                                       opening_request(request));
        session->set_remote_address(remote_address_, std::move(admission.lease));
        Response res{http::status::ok, request.version()};
        res.set(http::field::server, kServerName);
        res.set(http::field::content_type, "text/plain; charset=UTF-8");
        add_cors(request, res);
        res.body() = session->open_polling();
        res.keep_alive(request.keep_alive());
        send(std::move(res));
        return;
    }
    auto session = shared_.registry.find(sid);
    if (!session) {
        send_engineio_error(request, engineio::HttpError::unknown_sid);
        return;
    }
    auto req = std::make_shared<Request>(std::move(request));
    auto self = shared_from_this();
    auto here = shard_.executor();
    if (req->method() == http::verb::post) {
        boost::asio::post(session->executor(), [self, here, session, req] {
            const auto error = session->receive_polling(req->body());
            boost::asio::post(here, [self, req, error] {
                if (error) {
                    // Its body may be the client's garbage: this connection ends too.
                    self->send_engineio_error(*req, *error, false);
                    return;
                }
                Response res{http::status::ok, req->version()};
                res.set(http::field::server, kServerName);
                res.set(http::field::content_type, "text/html");
                self->add_cors(*req, res);
                res.body() = "ok";
                res.keep_alive(req->keep_alive());
                self->send(std::move(res));
            });
        });
        return;
    }
    if (req->method() != http::verb::get) {
        send_engineio_error(*req, engineio::HttpError::bad_request);
        return;
    }
    // A long poll: no deadline while the session has nothing to say (it pings within
    // ping_interval, so the wait is bounded anyway).
    stream_.tcp().expires_never();
    watch_for_hangup(session);
    boost::asio::post(session->executor(), [self, here, session, req] {
        const auto error = session->poll([self, here, session, req](std::string body) {
            boost::asio::post(here, [self, session, req, body = std::move(body)]() mutable {
                self->after_watch([self, session, req, body = std::move(body)]() mutable {
                    Response res{http::status::ok, req->version()};
                    res.set(http::field::server, kServerName);
                    res.set(http::field::content_type, "text/plain; charset=UTF-8");
                    self->add_cors(*req, res);
                    res.body() = std::move(body);
                    res.keep_alive(req->keep_alive());
                    self->send(std::move(res), session);
                });
            });
        });
        if (error) {
            boost::asio::post(here, [self, req, error] {
                self->after_watch([self, req, error] { self->send_engineio_error(*req, *error); });
            });
        }
    });
}

void HttpConnection::watch_for_hangup(const std::shared_ptr<EngineSession>& session) {
    // While a long poll waits, nothing reads the socket, so a client that goes away
    // would be noticed only at the ping timeout. A pending read sees the hangup at
    // once and closes the session, as engine.io does ("poll connection closed
    // prematurely"). Bytes that arrive instead (a pipelined request) are kept for the
    // HTTP parser.
    watching_ = true;
    std::weak_ptr<EngineSession> weak = session;
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this(), weak](
                                                       beast::error_code ec, std::size_t n) {
        self->watching_ = false;
        self->buffer_.commit(n);
        if (ec && ec != boost::asio::error::operation_aborted) {
            if (auto session = weak.lock()) {
                boost::asio::post(session->executor(), [session] { session->on_poll_hangup(); });
            }
        }
        if (self->after_watch_) {
            auto next = std::move(self->after_watch_);
            self->after_watch_ = nullptr;
            next();
        }
    });
}

void HttpConnection::after_watch(std::function<void()> next) {
    if (!watching_) {
        next();
        return;
    }
    // One read at a time: stop the watch, answer when its handler has run.
    after_watch_ = std::move(next);
    beast::error_code ignored;
    stream_.tcp().socket().cancel(ignored);
}

void HttpConnection::serve_page(const Request& request) {
    Response res{http::status::ok, request.version()};
    res.set(http::field::server, kServerName);
    res.keep_alive(request.keep_alive());
    const std::string_view target = request.target();
    const auto path = target.substr(0, target.find('?'));
    const StaticAsset* asset = shared_.options.serve_page ? find_static_asset(path) : nullptr;
    if (asset == nullptr ||
        (request.method() != http::verb::get && request.method() != http::verb::head)) {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found\n";
    } else {
        res.set(http::field::content_type, asset->content_type);
        res.set(http::field::cache_control, "no-cache");
        res.body() = std::string(asset->content);
    }
    send(std::move(res));
}

void HttpConnection::send(Response response, std::shared_ptr<EngineSession> polled) {
    response.prepare_payload();
    auto res = std::make_shared<Response>(std::move(response));
    stream_.tcp().expires_after(shared_.options.handshake_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, polled = std::move(polled)](beast::error_code ec,
                                                                     std::size_t) {
            if (ec) {
                // A poll response that did not reach its client took frames with it:
                // close the session; the client reconnects and recovers what it missed.
                if (polled) {
                    boost::asio::post(polled->executor(),
                                      [polled] { polled->close("transport error", false); });
                }
                return;
            }
            if (!res->keep_alive()) {
                beast::error_code ignored;
                self->stream_.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
                self->linger();
                return;
            }
            self->read_request();
        });
}

void HttpConnection::linger() {
    // Closing with unread bytes (requests a client pipelined behind this one) resets
    // the connection, and the client may lose the answer just sent with it (a 429 seen
    // as a reset). So read and drop what still comes until the client closes, for
    // kLingerLimit at most.
    stream_.tcp().expires_after(kLingerLimit);
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (!ec) self->linger();
                            });
}

}  // namespace relay::plugins::websocket
