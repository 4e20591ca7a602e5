#pragma once
#include "histogram.hpp"
#include "options.hpp"

#include <relay/sdk/asio.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace relay::loadgen {

/// The run's phase, shared by every thread: senders send from warmup until drain;
/// only messages sent while measuring count.
enum class Phase : int { connecting, warmup, measuring, draining, done };

/// Counters of one client thread. Atomics so the progress line can read them; the
/// histogram only by its own thread until the end.
struct ThreadStats {
    std::atomic<std::uint64_t> connected{0};
    std::atomic<std::uint64_t> connect_failed{0};
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> measured_sent{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> measured_delivered{0};
    std::atomic<std::uint64_t> duplicates{0};
    std::atomic<std::uint64_t> out_of_order{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> backlog_drops{0};
    Histogram latency;
};

/// One Socket.IO client over WebSocket: Engine.IO open, CONNECT to its room, answers
/// pings, and — when it is a sender — sends `message` events at a constant rate.
/// Thread safety: its io_context's thread only.
class Client : public std::enable_shared_from_this<Client> {
public:
    Client(sdk::Executor executor, const Options& options, ThreadStats& stats,
           const std::atomic<Phase>& phase, unsigned room, unsigned index);
    /// Connects; `done(ok)` once in the room (or failed).
    void start(std::function<void(bool)> done);
    /// Starts sending (senders only): first message after `offset`, then every period.
    void start_sending(std::chrono::nanoseconds offset);
    void close();

private:
    void fail(const char* what);
    void read();
    void on_text(std::string_view text);
    void on_message(std::string_view text);
    void send(std::string frame);
    void write_next();
    void tick();

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    const Options& options_;
    ThreadStats& stats_;
    const std::atomic<Phase>& phase_;
    unsigned room_;
    unsigned index_;
    std::function<void(bool)> connected_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closed_ = false;
    std::vector<std::int64_t> last_seq_;  // per sender of the room
    std::uint64_t seq_ = 0;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point next_send_;
    std::string padding_;
};

}  // namespace relay::loadgen
