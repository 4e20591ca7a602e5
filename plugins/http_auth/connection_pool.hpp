#pragma once
/// Idle HTTP/1.1 connections to the auth service, kept open for the next requests.
#include <relay/sdk/asio.hpp>

#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace relay::plugins::http_auth {

/// A TCP connection to the auth service.
struct Connection {
    explicit Connection(const sdk::Executor& executor) : socket(executor) {}

    /// Closes the socket: its pending operations end with operation_aborted.
    void close() noexcept {
        boost::system::error_code ignored;
        socket.close(ignored);
    }

    boost::asio::ip::tcp::socket socket;
    /// What the last read took from the socket past its answer (empty on a connection
    /// fit for reuse).
    boost::beast::flat_buffer buffer;
};

/// At most `capacity` idle connections; the most recently used is reused first (the
/// likeliest to be still open: servers close idle connections after a while). A
/// connection the server closed while idle is found out by the request that reuses it
/// (see Exchange). Thread safety: none; the client's executor only.
class ConnectionPool {
public:
    explicit ConnectionPool(std::size_t capacity) : capacity_(capacity) {}

    /// An idle connection, or null when none is.
    std::unique_ptr<Connection> take();
    /// Keeps `connection` for a later request, or closes it when `capacity` connections
    /// are idle already.
    void give_back(std::unique_ptr<Connection> connection);
    /// Closes every idle connection.
    void clear() noexcept;

    std::size_t idle() const noexcept { return idle_.size(); }

private:
    std::size_t capacity_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace relay::plugins::http_auth
