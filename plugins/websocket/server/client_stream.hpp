#pragma once
#include <relay/sdk/asio.hpp>

#include <cstddef>
#include <memory>
#include <utility>
#include <variant>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace relay::plugins::websocket {

/// A client connection's TLS: Beast's ssl_stream (which coalesces a gathered write into
/// one record) over a tcp_stream, whose expires_after() bounds the handshake as it does
/// a plain request.
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// An accepted connection's bytes: plain TCP, or TLS over it when the listener has a
/// certificate. HttpConnection reads and writes through it (it is an AsyncStream for
/// Beast's http::async_read and async_write), so the HTTP code is written once for both.
/// A WebSocket upgrade takes what it holds (release_socket(), release_tls()): the link
/// speaks to a plain socket directly, which a TLS stream cannot offer.
/// Thread safety: as the stream it holds, the thread of its executor only.
class ClientStream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;

    /// Plain TCP.
    explicit ClientStream(boost::asio::ip::tcp::socket socket)
        : stream_(std::in_place_type<boost::beast::tcp_stream>, std::move(socket)) {}
    /// TLS with `context`'s certificate; the handshake is still to come (tls()).
    /// OpenSSL counts the context's references from its connections, so the connection
    /// keeps this certificate when a reload drops the context.
    ClientStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context)
        : stream_(std::in_place_type<TlsStream>, std::move(socket), context) {}

    executor_type get_executor() { return tcp().get_executor(); }
    /// The TCP layer: timeouts, and the socket (shutdown, cancel).
    boost::beast::tcp_stream& tcp() {
        return std::visit(
            [](auto& stream) -> boost::beast::tcp_stream& {
                return boost::beast::get_lowest_layer(stream);
            },
            stream_);
    }
    /// The TLS layer, for its handshake; null for plain TCP.
    TlsStream* tls() { return std::get_if<TlsStream>(&stream_); }

    /// The plain socket, for a WebSocket link; the stream is done. Plain TCP only.
    boost::asio::ip::tcp::socket release_socket() {
        return std::get<boost::beast::tcp_stream>(stream_).release_socket();
    }
    /// The TLS stream, for a WebSocket link; this one is done. TLS only.
    std::unique_ptr<TlsStream> release_tls() {
        return std::make_unique<TlsStream>(std::move(std::get<TlsStream>(stream_)));
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& to) {
                std::visit([&](auto& stream) { stream.async_read_some(to, std::move(handler)); },
                           stream_);
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& from) {
                std::visit([&](auto& stream) { stream.async_write_some(from, std::move(handler)); },
                           stream_);
            },
            token, buffers);
    }

private:
    std::variant<boost::beast::tcp_stream, TlsStream> stream_;
};

}  // namespace relay::plugins::websocket
