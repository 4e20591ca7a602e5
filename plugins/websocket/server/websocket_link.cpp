#include "server/websocket_link.hpp"

#include "server/engine_session.hpp"
#include "server/server_context.hpp"

namespace relay::plugins::websocket {

namespace beast = boost::beast;
namespace ws = beast::websocket;

WebSocketLink::WebSocketLink(Stream stream, ServerContext& server, ConnectionSlot slot)
    : ws_(std::move(stream)), server_(server), slot_(std::move(slot)) {}

void WebSocketLink::accept(
    std::shared_ptr<const boost::beast::http::request<boost::beast::http::string_body>> request,
    std::function<void(bool)> done) {
    ws_.async_accept(*request, [self = shared_from_this(), request,
                                done = std::move(done)](beast::error_code ec) {
        if (ec) {
            self->server_.log.debug("websocket handshake failed: " + ec.message());
            done(false);
            return;
        }
        done(true);
    });
}

void WebSocketLink::start(const std::shared_ptr<EngineSession>& session) {
    session_ = session;
    read();
}

void WebSocketLink::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        auto session = self->session_.lock();
        if (ec) {
            if (ec == ws::error::message_too_big) {
                self->server_.bad_packets.add();
                self->server_.log.debug("websocket: message over max_payload; closing");
            }
            if (session) session->on_ws_closed(self.get(), ec);
            return;
        }
        if (!session) return;
        const auto data = self->buffer_.cdata();
        session->on_ws_message(self.get(),
                               std::string_view(static_cast<const char*>(data.data()), data.size()),
                               self->ws_.got_binary());
        self->buffer_.consume(self->buffer_.size());
        // An idle connection should not keep the largest message it ever got.
        if (self->buffer_.capacity() > 8192) self->buffer_.shrink_to_fit();
        if (!self->closing_) self->read();
    });
}

void WebSocketLink::write(const OutFrame& frame, WriteDone done) {
    writing_ = true;
    ws_.binary(frame.binary);
    ws_.async_write(boost::asio::buffer(*frame.bytes),
                    [self = shared_from_this(), bytes = frame.bytes, done = std::move(done)](
                        beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (self->close_after_write_) self->close();
                        done(ec);
                    });
}

void WebSocketLink::close() {
    if (closing_) return;
    if (writing_) {
        close_after_write_ = true;
        return;
    }
    closing_ = true;
    ws_.async_close(ws::close_code::normal, [self = shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().shutdown(
            boost::asio::ip::tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(self->ws_).close();
    });
}

}  // namespace relay::plugins::websocket
