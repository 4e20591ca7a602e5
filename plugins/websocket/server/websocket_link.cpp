#include "server/websocket_link.hpp"

#include "rfc6455/close.hpp"
#include "rfc6455/utf8.hpp"
#include "server/engine_session.hpp"
#include "server/telemetry.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace relay::plugins::websocket {

namespace beast = boost::beast;
namespace ws = beast::websocket;
using tcp = boost::asio::ip::tcp;
using rfc6455::CloseCode;
using rfc6455::Opcode;

namespace {

constexpr const char* kServerName = "relay";
/// Bytes read per readiness, into a buffer shared by every link of the thread.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
/// A link keeps no more than this of a buffer it no longer needs.
constexpr std::size_t kKeepCapacity = 4096;
/// How long a closing link waits for the client to end the TCP connection.
constexpr std::chrono::seconds kCloseLinger{2};
/// A TLS read's buffer: one record's plaintext, the most one read returns.
constexpr std::size_t kTlsReadChunk = std::size_t{16} * 1024;

char* thread_read_buffer() {
    thread_local std::vector<char> buffer(kReadChunk);
    return buffer.data();
}

void release_if_large(std::string& s) {
    if (s.empty() && s.capacity() > kKeepCapacity) std::string().swap(s);
}

/// The gathered buffers as Asio's write takes them, without copying the vector.
struct BufferRange {
    const boost::asio::const_buffer* first;
    const boost::asio::const_buffer* last;
    const boost::asio::const_buffer* begin() const { return first; }
    const boost::asio::const_buffer* end() const { return last; }
};

/// Beast answers the upgrade on `stream` (moved in); `done` gets the stream back, or null
/// when the handshake failed.
template <class Stream, class Done>
void websocket_handshake(Stream stream,
                         const std::shared_ptr<const WebSocketLink::Request>& request,
                         std::chrono::milliseconds timeout, Telemetry& telemetry, Done done) {
    auto handshake = std::make_shared<ws::stream<Stream>>(std::move(stream));
    ws::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = timeout;
    timeouts.idle_timeout = ws::stream_base::none();
    timeouts.keep_alive_pings = false;
    handshake->set_option(timeouts);
    handshake->set_option(ws::stream_base::decorator(
        [](ws::response_type& res) { res.set(beast::http::field::server, kServerName); }));
    handshake->async_accept(*request, [handshake, request, &telemetry,
                                       done = std::move(done)](beast::error_code ec) mutable {
        if (ec) {
            telemetry.log.debug("websocket handshake failed: " + ec.message());
            done(nullptr);
            return;
        }
        done(&handshake->next_layer());
    });
}

}  // namespace

WebSocketLink::WebSocketLink(tcp::socket socket, const LinkShared& shared, ConnectionSlot slot)
    : socket_(std::move(socket)),
      home_(socket_->get_executor()),
      shared_(shared),
      slot_(std::move(slot)) {}

WebSocketLink::WebSocketLink(std::unique_ptr<TlsStream> stream, const sdk::Executor& session,
                             const LinkShared& shared, ConnectionSlot slot)
    : tls_(std::move(stream)), home_(session), shared_(shared), slot_(std::move(slot)) {}

void WebSocketLink::accept(const std::shared_ptr<const Request>& request,
                           std::function<void(bool)> done) {
    if (tls_) {
        websocket_handshake(std::move(*tls_), request, shared_.options.handshake_timeout,
                            shared_.telemetry,
                            [self = shared_from_this(), done = std::move(done)](TlsStream* stream) {
                                if (stream != nullptr) {
                                    self->tls_ = std::make_unique<TlsStream>(std::move(*stream));
                                }
                                done(stream != nullptr);
                            });
        return;
    }
    websocket_handshake(
        beast::tcp_stream(std::move(*socket_)), request, shared_.options.handshake_timeout,
        shared_.telemetry,
        [self = shared_from_this(), done = std::move(done)](beast::tcp_stream* stream) {
            if (stream != nullptr) self->socket_ = std::move(stream->socket());
            done(stream != nullptr);
        });
}

void WebSocketLink::start(const std::shared_ptr<EngineSession>& session) {
    session_ = session;
    if (tls_) {
        tls_read_.resize(kTlsReadChunk);
        read_tls();
        return;
    }
    boost::system::error_code ec;
    socket_->non_blocking(true, ec);
    if (ec) {
        lost(ec);
        return;
    }
    wait_readable();
}

tcp::socket& WebSocketLink::tcp_socket() {
    return tls_ ? beast::get_lowest_layer(*tls_).socket() : *socket_;
}

// ---- reading ------------------------------------------------------------------------

void WebSocketLink::wait_readable() {
    socket_->async_wait(tcp::socket::wait_read,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec) {
                                self->lost(ec);
                                return;
                            }
                            self->on_readable();
                        });
}

void WebSocketLink::on_readable() {
    char* chunk = thread_read_buffer();
    boost::system::error_code ec;
    const std::size_t n = socket_->read_some(boost::asio::buffer(chunk, kReadChunk), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        wait_readable();
        return;
    }
    if (ec) {
        lost(ec);
        return;
    }
    if (take(chunk, n)) wait_readable();
}

void WebSocketLink::read_tls() {
    // The chunk is the link's own: the thread's buffer could be overwritten by another
    // link's read before this one's handler runs.
    tls_->async_read_some(
        boost::asio::buffer(tls_read_),
        boost::asio::bind_executor(
            home_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (ec) {
                    self->lost(ec);
                    return;
                }
                if (self->take(self->tls_read_.data(), n)) self->read_tls();
            }));
}

bool WebSocketLink::take(char* chunk, std::size_t n) {
    if (close_queued_) return true;  // closing: what the client still sends is not read
    bool ok = true;
    if (partial_.empty()) {
        const std::size_t used = parse(chunk, n, ok);
        if (!ok) return false;
        partial_.assign(chunk + used, n - used);
    } else {
        partial_.append(chunk, n);
        const std::size_t used = parse(partial_.data(), partial_.size(), ok);
        if (!ok) return false;
        partial_.erase(0, used);
        release_if_large(partial_);
    }
    return true;
}

std::size_t WebSocketLink::parse(char* data, std::size_t size, bool& ok) {
    std::size_t used = 0;
    while (!close_queued_) {
        const auto r =
            rfc6455::parse_client_frame(data + used, size - used, shared_.options.max_payload);
        switch (r.status) {
            case rfc6455::ParseStatus::need_more: return used;
            case rfc6455::ParseStatus::protocol_error:
                fail(CloseCode::protocol_error, "not a valid WebSocket frame");
                ok = false;
                return used;
            case rfc6455::ParseStatus::too_big:
                fail(CloseCode::too_big, "message over max_payload");
                ok = false;
                return used;
            case rfc6455::ParseStatus::frame: break;
        }
        used += r.consumed;
        if (!on_frame(r.frame)) {
            ok = false;
            return used;
        }
    }
    return used;
}

bool WebSocketLink::on_frame(const rfc6455::ClientFrame& frame) {
    switch (frame.opcode) {
        case Opcode::text:
        case Opcode::binary:
            if (in_message_) {
                fail(CloseCode::protocol_error, "a new message inside a fragmented one");
                return false;
            }
            if (frame.fin) return receive_message(frame.payload, frame.opcode == Opcode::binary);
            in_message_ = true;
            message_binary_ = frame.opcode == Opcode::binary;
            message_.assign(frame.payload);
            return true;
        case Opcode::continuation:
            if (!in_message_) {
                fail(CloseCode::protocol_error, "a continuation frame outside a message");
                return false;
            }
            if (message_.size() + frame.payload.size() > shared_.options.max_payload) {
                fail(CloseCode::too_big, "message over max_payload");
                return false;
            }
            message_.append(frame.payload);
            if (!frame.fin) return true;
            in_message_ = false;
            {
                const bool ok = receive_message(message_, message_binary_);
                message_.clear();
                release_if_large(message_);
                return ok;
            }
        case Opcode::ping: queue_control(Opcode::pong, frame.payload); return true;
        case Opcode::pong: return true;
        case Opcode::close: {
            const auto reply = rfc6455::reply_to_close(frame.payload);
            if (reply.protocol_violation) {
                fail(reply.code, reply.code == CloseCode::invalid_payload
                                     ? "a close reason that is not UTF-8"
                                     : "a close frame with a 1-byte body or an invalid code");
                return false;
            }
            // The client ends the connection: answer its close, tell the session.
            close(reply.code);
            if (auto session = session_.lock()) session->on_ws_closed(this, {});
            return false;
        }
    }
    return false;
}

bool WebSocketLink::receive_message(std::string_view message, bool binary) {
    if (!binary && !rfc6455::valid_utf8(message)) {
        fail(CloseCode::invalid_payload, "a text message that is not UTF-8");
        return false;
    }
    auto session = session_.lock();
    if (!session) return false;
    session->receive_websocket(this, message, binary);
    return !close_queued_ && !shut_;
}

void WebSocketLink::fail(CloseCode code, std::string_view why) {
    shared_.telemetry.bad_packets.add();
    shared_.telemetry.log.debug("websocket: " + std::string(why) + "; closing");
    if (!close_queued_) {
        close_queued_ = true;
        const auto frame = rfc6455::server_close(code);
        control_.append(frame.view());
        pump();
    }
    if (auto session = session_.lock()) session->on_ws_closed(this, {});
}

void WebSocketLink::lost(std::error_code ec) {
    if (shut_) return;
    shut();
    if (auto session = session_.lock()) session->on_ws_closed(this, ec);
}

// ---- writing ------------------------------------------------------------------------

void WebSocketLink::queue_control(Opcode opcode, std::string_view payload) {
    if (close_queued_) return;
    // Only pongs come here, and only the latest unsent one is kept (RFC 6455 5.5.3
    // allows it): a client that pings without reading would otherwise grow control_
    // by a pong per ping while the write in flight waits for it.
    control_.clear();
    control_.append(rfc6455::server_header(opcode, payload.size()).view());
    control_.append(payload);
    pump();
}

void WebSocketLink::write(const std::deque<OutFrame>& frames, std::size_t count, WriteDone done) {
    if (close_written_ || shut_ || data_pending_) {
        done(make_error_code(std::errc::operation_canceled));
        return;
    }
    in_flight_.assign(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(
                                                           std::min(count, kMaxFramesPerWrite)));
    data_done_ = std::move(done);
    data_pending_ = true;
    pump();
}

void WebSocketLink::write(const OutFrame& frame, WriteDone done) {
    write(std::deque<OutFrame>{frame}, 1, std::move(done));
}

void WebSocketLink::pump() {
    if (writing_ || shut_ || close_written_) return;
    const bool with_data = data_pending_;
    if (!with_data && control_.empty()) return;
    control_in_flight_.swap(control_);
    control_.clear();
    // A close frame in control_ goes last: after the frames queued before the close.
    const bool with_close = close_queued_;
    std::string_view control = control_in_flight_;
    std::string_view closing;
    if (with_close && control.size() >= 4) {
        closing = control.substr(control.size() - 4);
        control.remove_suffix(4);
    }
    gather_.clear();
    headers_.clear();
    if (!control.empty()) gather_.emplace_back(control.data(), control.size());
    if (with_data) {
        headers_.reserve(in_flight_.size());
        for (const auto& frame : in_flight_) {
            headers_.push_back(rfc6455::server_header(frame.binary ? Opcode::binary : Opcode::text,
                                                      frame.bytes->size()));
        }
        for (std::size_t i = 0; i < in_flight_.size(); ++i) {
            gather_.emplace_back(headers_[i].bytes.data(), headers_[i].size);
            gather_.emplace_back(in_flight_[i].bytes->data(), in_flight_[i].bytes->size());
        }
    }
    if (!closing.empty()) gather_.emplace_back(closing.data(), closing.size());
    shared_.telemetry.writes.add();
    writing_ = true;

    if (tls_) {
        boost::asio::async_write(
            *tls_, BufferRange{gather_.data(), gather_.data() + gather_.size()},
            boost::asio::bind_executor(home_,
                                       [self = shared_from_this(), with_data, with_close](
                                           const boost::system::error_code& error, std::size_t) {
                                           self->on_written(error, with_data, with_close);
                                       }));
        return;
    }
    // First without the reactor: a socket whose send buffer has room takes it all in
    // this one sendmsg, and no completion has to be scheduled.
    boost::system::error_code ec;
    std::size_t written =
        socket_->write_some(BufferRange{gather_.data(), gather_.data() + gather_.size()}, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        ec.clear();
        written = 0;
    }
    const std::size_t total = boost::asio::buffer_size(gather_);
    if (ec || written == total) {
        on_written(ec, with_data, with_close);
        return;
    }
    // The rest when the socket can take it.
    auto first = gather_.begin();
    while (written >= first->size()) {
        written -= first->size();
        ++first;
    }
    *first += written;
    gather_.erase(gather_.begin(), first);
    boost::asio::async_write(*socket_, BufferRange{gather_.data(), gather_.data() + gather_.size()},
                             [self = shared_from_this(), with_data, with_close](
                                 const boost::system::error_code& error, std::size_t) {
                                 self->on_written(error, with_data, with_close);
                             });
}

void WebSocketLink::on_written(const boost::system::error_code& ec, bool with_data,
                               bool with_close) {
    writing_ = false;
    control_in_flight_.clear();
    if (with_close && !ec) close_written_ = true;
    if (with_data) {
        data_pending_ = false;
        in_flight_.clear();
        auto done = std::move(data_done_);
        data_done_ = nullptr;
        done(ec);  // may write() again, right here
    }
    if (ec) {
        lost(ec);
        return;
    }
    if (close_written_) {
        after_close_written();
        return;
    }
    pump();
}

void WebSocketLink::close(CloseCode code) {
    if (close_queued_ || shut_) return;
    close_queued_ = true;
    const auto frame = rfc6455::server_close(code);
    control_.append(frame.view());
    pump();
}

void WebSocketLink::after_close_written() {
    if (linger_) return;  // already done (a nested completion got here first)
    // The server ends the TCP connection once the close frame is out (RFC 6455 7.1.1):
    // send side first, so the client reads the close frame; then, after its FIN or a
    // short wait, the socket.
    boost::system::error_code ignored;
    tcp_socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (shared_.stopping) {  // the server is going away: no waiting for anyone
        shut();
        return;
    }
    // On the socket's io_context (the link then holds I/O objects of that one only), the
    // handler on the session's.
    linger_ =
        std::make_unique<boost::asio::steady_timer>(tcp_socket().get_executor(), kCloseLinger);
    linger_->async_wait(boost::asio::bind_executor(
        home_, [self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->shut();
        }));
}

void WebSocketLink::shut() {
    if (shut_) return;
    shut_ = true;
    if (linger_) linger_->cancel();
    boost::system::error_code ignored;
    tcp_socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_socket().close(ignored);
}

}  // namespace relay::plugins::websocket
