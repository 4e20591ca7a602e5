#include "server/websocket_transport.hpp"

#include "server/chat_socket.hpp"
#include "server/engine_session.hpp"
#include "server/http_connection.hpp"
#include "server/shard.hpp"
#include "socketio/chat.hpp"
#include "socketio/encode.hpp"
#include "socketio/json.hpp"

#include <relay/sdk/error.hpp>

#include <array>
#include <map>
#include <mutex>

namespace relay::plugins::websocket {

using tcp = boost::asio::ip::tcp;

namespace {
// How long a stop waits for closed sessions to get their last frames out.
constexpr std::chrono::milliseconds kStopFlushLimit{2000};

/// A refused connection after its answer: our side is shut; what the client still
/// sends is read and dropped until it closes, or until kRefusalLinger.
class RefusedConnection : public std::enable_shared_from_this<RefusedConnection> {
public:
    explicit RefusedConnection(tcp::socket socket)
        : socket_(std::move(socket)), deadline_(socket_.get_executor()) {}

    void linger() {
        deadline_.expires_after(kRefusalLinger);
        deadline_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
            boost::system::error_code ignored;
            self->socket_.close(ignored);
        });
        drain();
    }

private:
    static constexpr std::chrono::seconds kRefusalLinger{1};

    void drain() {
        socket_.async_read_some(
            boost::asio::buffer(discard_),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (ec) {
                    self->deadline_.cancel();  // closes the socket
                    return;
                }
                self->drain();
            });
    }

    tcp::socket socket_;
    boost::asio::steady_timer deadline_;
    std::array<char, 1024> discard_{};
};

/// The peer's IP address, as text; an IPv4 client of a dual-stack listener as IPv4.
/// Empty if the peer is already gone.
std::string remote_address(const tcp::socket& socket) {
    boost::system::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return {};
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    }
    return address.to_string();
}
}  // namespace

WebSocketTransport::WebSocketTransport(Settings settings, sdk::PluginContext& ctx)
    : server_(std::move(settings), ctx),
      control_(ctx.executor()),
      acceptor_(ctx.executor()),
      accept_retry_(ctx.executor()),
      stop_timer_(ctx.executor()) {
    // Recent messages for recovering clients: each thread keeps its own list of the
    // same shared broadcasts, so the bytes count once.
    Shard::RecentLimits recent;
    if (server_.settings.recovery) {
        recent.max_bytes = server_.settings.recovery_buffer;
        recent.max_age = server_.settings.recovery_window;
    }
    for (const auto& executor : ctx.io_executors()) {
        server_.shards.push_back(std::make_unique<Shard>(executor, recent));
    }
    const auto& s = server_.settings;
    if (s.tls_cert && s.tls_key) {
        tls_.emplace(tls::ServerFiles{*s.tls_cert, *s.tls_key, s.tls_min_version},
                     server_.telemetry);
    }
}

WebSocketTransport::~WebSocketTransport() = default;

void WebSocketTransport::start(sdk::Inbound& inbound, sdk::Done done) {
    server_.chat.inbound = &inbound;
    boost::asio::post(control_, [this, done = std::move(done)] {
        const auto& s = server_.settings;
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(s.listen_host, ec);
        if (ec) {
            server_.telemetry.log.error("transport.listen: '" + s.listen_host +
                                        "' is not an IP address");
            done(make_error_code(sdk::Errc::invalid_argument));
            return;
        }
        const tcp::endpoint endpoint(address, s.listen_port);
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) {
            server_.telemetry.log.error("transport.listen: cannot listen on " + s.listen_host +
                                        ":" + std::to_string(s.listen_port) + ": " + ec.message());
            done(ec);
            return;
        }
        port_ = acceptor_.local_endpoint().port();
        if (s.recovery && s.recovery_secret.empty()) {
            server_.telemetry.log.info(
                "transport.recovery_secret is not set: sessions recover only on this node "
                "(a random secret signs them); give every node of a cluster the same secret");
        }
        server_.telemetry.log.info("Socket.IO on " + s.listen_host + ":" + std::to_string(port_) +
                                   s.path + (tls_ ? " over TLS" : "") +
                                   (s.serve_page ? " (chat page at /)" : ""));
        accept();
        done({});
    });
}

void WebSocketTransport::refuse(tcp::socket socket, Limit limit, std::chrono::seconds retry_after,
                                const std::string& address) {
    // One log line per second at most: a flood of refusals must not flood the log too.
    server_.telemetry.count_refusal(limit);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ > std::chrono::seconds(1)) {
        last_refusal_log_ = now;
        server_.telemetry.log.warn(
            "refusing connections" +
            (limit == Limit::max_connections ? std::string() : " from " + address) +
            ": transport." + std::string(limit_setting(limit)) +
            " reached; relay_websocket_limit_refusals_total counts them");
    }
    // The answer, written without waiting: a new socket's send buffer is empty. Then
    // only our side is shut: closing at once would reset the connection when the
    // client's request arrives after the answer, and the client would see a reset
    // instead of the answer (see RefusedConnection). Over TLS there is no answer: it
    // would need a handshake, the work a flood of refused connections must not get.
    boost::system::error_code ignored;
    if (!tls_) {
        const std::string answer = refusal_response(limit, retry_after);
        socket.non_blocking(true, ignored);
        socket.write_some(boost::asio::buffer(answer), ignored);
    }
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    std::make_shared<RefusedConnection>(std::move(socket))->linger();
}

void WebSocketTransport::accept() {
    Shard& shard = *server_.shards[next_shard_];
    next_shard_ = (next_shard_ + 1) % server_.shards.size();
    acceptor_.async_accept(shard.executor(), [this, &shard](boost::system::error_code ec,
                                                            tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::string address = remote_address(socket);
            if (static_cast<std::uint64_t>(server_.open_connections->load()) >=
                server_.max_connections.get()) {
                refuse(std::move(socket), Limit::max_connections, std::chrono::seconds(1), address);
            } else if (auto admission = server_.addresses->admit_connection(
                           address, std::chrono::steady_clock::now());
                       admission.refused) {
                refuse(std::move(socket), *admission.refused, admission.retry_after, address);
            } else {
                auto stream = tls_ ? ClientStream(std::move(socket), tls_->context())
                                   : ClientStream(std::move(socket));
                auto connection = std::make_shared<HttpConnection>(
                    std::move(stream), server_.http, shard,
                    ConnectionSlot(server_.open_connections, server_.telemetry.connections,
                                   std::move(admission.lease)),
                    std::move(address));
                boost::asio::post(shard.executor(), [connection] { connection->start(); });
            }
        } else {
            // EMFILE and friends: the pending connection stays in the backlog, so an
            // immediate retry fails again at once and spins. Wait, then go on (a burst
            // should not end the server); say so once a second at most.
            const auto now = std::chrono::steady_clock::now();
            if (now - last_accept_error_log_ > std::chrono::seconds(1)) {
                last_accept_error_log_ = now;
                server_.telemetry.log.warn("accept failed: " + ec.message() +
                                           "; retrying every 100ms (raise the open-files limit or "
                                           "lower transport.max_connections)");
            }
            accept_retry_.expires_after(kAcceptRetryDelay);
            accept_retry_.async_wait([this](const boost::system::error_code& wait_ec) {
                if (!wait_ec && acceptor_.is_open()) accept();
            });
            return;
        }
        accept();
    });
}

void WebSocketTransport::broadcast(const sdk::Message& msg, std::string_view except_sender) {
    // Encoded once, shared by every recipient on every thread.
    Broadcast broadcast;
    broadcast.id = msg.id;
    broadcast.room = msg.room;
    broadcast.sender = msg.sender;
    // The offset for connection state recovery is the message id: ids are
    // time-ordered and the store answers "after id".
    std::string frame;
    const auto offset =
        server_.settings.recovery ? std::optional<std::string_view>(msg.id) : std::nullopt;
    if (auto ec = socketio::encode_message_broadcast(
            frame, "/", msg.payload_json, {msg.id, msg.room, msg.ts_ms, msg.sender, msg.user},
            offset, static_cast<std::uint32_t>(msg.attachments.size()))) {
        server_.telemetry.log.error("cannot encode message " + msg.id + ": " + ec.message());
        return;
    }
    broadcast.frames.push_back(text_frame(std::move(frame)));
    for (const auto& attachment : msg.attachments) {
        broadcast.frames.push_back({std::make_shared<const std::string>(attachment), true});
    }
    auto shared = std::make_shared<const Broadcast>(std::move(broadcast));
    auto room = std::make_shared<const std::string>(msg.room);
    auto except = std::make_shared<const std::string>(except_sender);
    for (auto& shard : server_.shards) {
        boost::asio::post(shard->executor(), [this, s = shard.get(), shared, room, except] {
            server_.telemetry.deliveries.add(s->broadcast(*room, shared, *except));
        });
    }
}

void WebSocketTransport::presence_changed(const sdk::PresenceEvent& event) {
    if (!server_.presence_events) return;
    const std::string_view name = event.type == sdk::PresenceEvent::Type::join ? "join" : "leave";
    std::string member = "{\"sid\":";
    socketio::json::append_string(member, event.member.sid);
    member += ",\"user\":";
    if (event.member.user.empty()) {
        member += "null";
    } else {
        socketio::json::append_string(member, event.member.user);
    }
    member += ",\"room\":";
    socketio::json::append_string(member, event.member.room);
    member += '}';
    const std::array<std::string_view, 1> args = {member};
    socketio::EventFrame frame;
    frame.name = name;
    frame.args = args;
    Broadcast broadcast;
    broadcast.frames.push_back(text_frame(socketio::encode_event(frame)));
    auto shared = std::make_shared<const Broadcast>(std::move(broadcast));
    auto room = std::make_shared<const std::string>(event.member.room);
    auto except = std::make_shared<const std::string>(event.member.sid);
    for (auto& shard : server_.shards) {
        boost::asio::post(shard->executor(), [s = shard.get(), shared, room, except] {
            s->broadcast(*room, shared, *except);
        });
    }
}

void WebSocketTransport::reload() {
    if (tls_) tls_->reload();
}

void WebSocketTransport::reconfigure(const sdk::ConfigView& config) {
    server_.apply_live(parse_settings(config));
}

void WebSocketTransport::rooms(sdk::LocalRoomsDone done) {
    // Each shard knows its own rooms and is read on its own thread; the last one to
    // answer hands the sum to the control executor.
    struct Gathering {
        std::mutex mutex;
        std::map<std::string, std::size_t> sizes;
        std::size_t remaining = 0;
        sdk::LocalRoomsDone done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->remaining = server_.shards.size();
    gathering->done = std::move(done);
    for (auto& shard : server_.shards) {
        boost::asio::post(shard->executor(), [s = shard.get(), gathering, control = control_] {
            const auto sizes = s->room_sizes();
            std::lock_guard lock(gathering->mutex);
            for (const auto& [room, members] : sizes) gathering->sizes[room] += members;
            if (--gathering->remaining != 0) return;
            boost::asio::post(control, [gathering] {
                std::vector<sdk::LocalRoom> rooms;
                rooms.reserve(gathering->sizes.size());
                for (const auto& [room, members] : gathering->sizes) {
                    rooms.push_back({room, members});
                }
                gathering->done({}, std::move(rooms));
            });
        });
    }
}

void WebSocketTransport::disconnect(const sdk::DisconnectTarget& target, sdk::DisconnectDone done) {
    struct Gathering {
        std::atomic<std::size_t> remaining{0};
        std::atomic<std::size_t> disconnected{0};
        sdk::DisconnectDone done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->remaining = server_.shards.size();
    gathering->done = std::move(done);
    auto shared_target = std::make_shared<const sdk::DisconnectTarget>(target);
    for (auto& shard : server_.shards) {
        boost::asio::post(
            shard->executor(), [s = shard.get(), gathering, shared_target, control = control_] {
                std::size_t n = 0;
                for (const auto& session : s->sessions()) {
                    if (session->closed() || !session->chat().matches(*shared_target)) continue;
                    session->chat().disconnect_by_server(shared_target->allow_reconnect);
                    ++n;
                }
                gathering->disconnected.fetch_add(n);
                if (gathering->remaining.fetch_sub(1) != 1) return;
                boost::asio::post(
                    control, [gathering] { gathering->done({}, gathering->disconnected.load()); });
            });
    }
}

void WebSocketTransport::stop(sdk::Done done) {
    // From here new messages, CONNECTs and Engine.IO handshakes are refused; the
    // acceptor stays open until the sessions are flushed, because a polling client
    // needs new connections to fetch its acks and the close packet.
    server_.stopping = true;
    boost::asio::post(control_, [this, done = std::move(done)]() mutable {
        wait_for_acks([this, done = std::move(done)](std::error_code ec) {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            accept_retry_.cancel();
            done(ec);
        });
    });
}

void WebSocketTransport::wait_for_acks(sdk::Done done) {
    // Messages already handed to the pipeline get their acks before clients close.
    // New ones are refused meanwhile (ChatSocket checks `stopping`). The host bounds
    // the whole stop by node.drain_timeout.
    if (server_.chat.publishes_in_flight.load() != 0) {
        stop_timer_.expires_after(std::chrono::milliseconds(5));
        stop_timer_.async_wait(
            [this, done = std::move(done)](const boost::system::error_code&) mutable {
                wait_for_acks(std::move(done));
            });
        return;
    }
    // Each shard closes its sessions' transports (queued frames first): a WebSocket
    // gets its close frame, a polling client the Engine.IO close packet. Clients see
    // "transport close", as after a network failure, and so reconnect on their own —
    // behind a load balancer to another node, where their session recovers (see
    // ChatSocket). A Socket.IO DISCONNECT would say "io server disconnect" instead,
    // after which socket.io-client and python-socketio never reconnect.
    // The stop completes when every shard has done so.
    auto remaining = std::make_shared<std::atomic<std::size_t>>(server_.shards.size());
    auto shared_done =
        std::make_shared<sdk::Done>([this, done = std::move(done)](std::error_code) mutable {
            wait_for_flush(std::move(done), std::chrono::steady_clock::now() + kStopFlushLimit);
        });
    for (auto& shard : server_.shards) {
        boost::asio::post(shard->executor(),
                          [s = shard.get(), remaining, shared_done, control = control_] {
                              for (const auto& session : s->sessions()) {
                                  session->close("server shutting down");
                              }
                              if (remaining->fetch_sub(1) == 1) {
                                  boost::asio::post(control, [shared_done] { (*shared_done)({}); });
                              }
                          });
    }
}

void WebSocketTransport::wait_for_flush(sdk::Done done,
                                        std::chrono::steady_clock::time_point deadline) {
    // A closed session lives until its last frames (acks, the close) are written, or
    // for polling until the client's next GET took them: the stop waits for that, so
    // every acked message's ack reaches its sender and every client sees its transport
    // close rather than a connection refused. Bounded: a client that never polls again
    // does not hold the stop.
    if (server_.live_sessions->load() != 0 && std::chrono::steady_clock::now() < deadline) {
        stop_timer_.expires_after(std::chrono::milliseconds(5));
        stop_timer_.async_wait(
            [this, done = std::move(done), deadline](const boost::system::error_code&) mutable {
                wait_for_flush(std::move(done), deadline);
            });
        return;
    }
    if (server_.live_sessions->load() != 0) {
        server_.telemetry.log.warn("stopping with " +
                                   std::to_string(server_.live_sessions->load()) +
                                   " session(s) whose last frames are not out");
    }
    done({});
}

}  // namespace relay::plugins::websocket
