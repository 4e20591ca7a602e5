#pragma once
/// A stream reader's own connection for blocking reads (XREAD / XREADGROUP BLOCK: on the
/// shared command connection they would hold up every other command), with the state
/// the broadcast reader and the store consumer both keep around it: reads only between
/// run() and close(), one read in flight at a time, a timer to read again later.
#include "valkey/connection.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::valkey_streams {

/// Thread safety: none; the owning reader's executor. The owner's handlers hold a
/// weak_ptr to the owner, so a timer or answer after its destruction does nothing.
class BlockingReads {
public:
    explicit BlockingReads(const sdk::Executor& executor)
        : executor_(executor), retry_timer_(executor) {}

    /// Connects as `label`; `on_up` runs at every connection made.
    void connect(const valkey::ConnectionOptions& options, sdk::Logger& log, std::string label,
                 std::function<void()> on_up) {
        connection_ = valkey::Connection::create(executor_, options, log, std::move(label));
        connection_->on_up(std::move(on_up));
        connection_->start();
    }
    /// Reads may be sent from now on, until close().
    void run() noexcept { running_ = true; }
    /// No more reads, no retry; the connection closes.
    void close() {
        closed_ = true;
        running_ = false;
        retry_timer_.cancel();
        if (connection_) connection_->close();
    }

    bool running() const noexcept { return running_; }
    bool closed() const noexcept { return closed_; }
    bool up() const noexcept { return connection_ && connection_->up(); }
    std::string last_error() const { return connection_ ? connection_->last_error() : ""; }
    /// For the reader's other commands (XGROUP CREATE, XACK), pipelined with the reads.
    valkey::Connection& connection() const { return *connection_; }

    /// Running, connected, and no read in flight.
    bool may_read() const noexcept { return running_ && !in_flight_ && up(); }
    /// Sends a read that may block up to `block` on the server; `done` calls answered().
    void send(const std::vector<std::string>& args, valkey::ReplyHandler done,
              std::chrono::milliseconds block) {
        in_flight_ = true;
        connection_->command(args, std::move(done), block);
    }
    /// The read in flight was answered: whether its answer still matters (not once
    /// close()d).
    bool answered() noexcept {
        in_flight_ = false;
        return running_;
    }
    /// The connection was made again: a read sent before is not waited for.
    void forget_read() noexcept { in_flight_ = false; }
    /// Runs `then` after `delay`, unless close() comes first.
    void after(std::chrono::milliseconds delay, std::function<void()> then) {
        retry_timer_.expires_after(delay);
        retry_timer_.async_wait([then = std::move(then)](boost::system::error_code ec) {
            if (!ec) then();
        });
    }

private:
    sdk::Executor executor_;
    boost::asio::steady_timer retry_timer_;
    std::shared_ptr<valkey::Connection> connection_;
    bool running_ = false;
    bool closed_ = false;
    bool in_flight_ = false;  // one read at a time
};

}  // namespace relay::plugins::valkey_streams
