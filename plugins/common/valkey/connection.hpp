#pragma once
/// One asynchronous connection to a Valkey server: hiredis's async API driven by
/// Boost.Asio through hiredis's adapter hooks, with reconnection and timeouts.
#include "address.hpp"
#include "reply.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

struct redisAsyncContext;

namespace relay::plugins::valkey {

struct ConnectionOptions {
    Address address;
    std::string client_name;  ///< CLIENT SETNAME, shows in CLIENT LIST
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds command_timeout{2000};
    std::chrono::milliseconds reconnect_delay{100};       ///< first wait after a loss
    std::chrono::milliseconds reconnect_delay_max{5000};  ///< the wait doubles up to this
};

/// `error` empty: `reply` is the server's answer (never an error reply). Otherwise
/// sdk::Errc::unavailable (no connection, or it was lost before the answer),
/// sdk::Errc::timed_out, sdk::Errc::shutting_down (closed), or ClientErrc::server_error
/// with the server's message in `reply.str`.
using ReplyHandler = std::function<void(std::error_code error, Reply reply)>;
using MessageHandler = std::function<void(std::string payload)>;

/// One hiredis async context at a time, on one executor.
///
/// The socket is hiredis's: a posix::stream_descriptor over its fd only waits for
/// readiness (async_wait) and calls redisAsyncHandleRead/Write, then is released (never
/// closed) when hiredis frees the context. Nothing blocks the executor: the host name
/// is resolved with Asio, hiredis gets the numeric address (its connect is
/// non-blocking), and every command is written as the socket takes it (commands
/// issued in one go are pipelined).
///
/// Once start()ed, the connection reconnects after every loss, waiting
/// `reconnect_delay` doubling up to `reconnect_delay_max`; after each (re)connect it
/// sends AUTH, SELECT and CLIENT SETNAME, then calls the `on_up` handler. While it is
/// not up, command() answers sdk::Errc::unavailable at once. A command without an
/// answer after `command_timeout` (plus its own extra time, for blocking commands)
/// counts as a lost connection: every pending command fails with timed_out and it
/// reconnects.
///
/// Thread safety: none. Every member must be called on the executor, and every
/// handler runs there, posted (never inline from inside hiredis), exactly once.
/// Lifetime: call close() before dropping the last reference; handlers of pending
/// commands then run with shutting_down.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    static std::shared_ptr<Connection> create(const sdk::Executor& executor,
                                              ConnectionOptions options, sdk::Logger& log,
                                              std::string label);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;

    /// After every (re)connection, once logged in.
    void on_up(std::function<void()> handler) { on_up_ = std::move(handler); }
    /// After every loss of an up connection, with the reason, before reconnecting.
    void on_down(std::function<void(std::error_code)> handler) { on_down_ = std::move(handler); }

    void start();
    void close();
    bool up() const noexcept { return state_ == State::up; }
    bool closed() const noexcept { return state_ == State::closed; }
    /// Drops the current connection (if any) and reconnects after the usual delay.
    void reset(std::string_view why);

    /// Sends `args` (binary-safe). `extra` extends the timeout (blocking commands).
    void command(const std::vector<std::string>& args, ReplyHandler done,
                 std::chrono::milliseconds extra = {});
    /// Subscribes to `channel` (the connection then serves only subscriptions);
    /// `done` runs at the server's confirmation, `on_message` for every message
    /// until the connection is lost (subscribe again in `on_up`).
    void subscribe(const std::string& channel, MessageHandler on_message, ReplyHandler done);

    /// The last connection error, for log lines ("Connection refused").
    const std::string& last_error() const noexcept { return last_error_; }
    const std::string& label() const noexcept { return label_; }

private:
    enum class State { idle, resolving, connecting, handshake, up, waiting, closed };
    struct Pending;

    Connection(const sdk::Executor& executor, ConnectionOptions options, sdk::Logger& log,
               std::string label);

    void connect();
    void open(const std::string& ip, std::uint16_t port);
    void handshake();
    void became_up();
    void lost(bool announced = false);
    void fail_context(std::error_code reason, std::string_view why);
    bool send(const std::vector<std::string>& args, ReplyHandler& done,
              std::chrono::milliseconds extra);
    /// Which readiness of the socket hiredis waits for.
    enum class Direction { read, write };
    /// Waits (once at a time) until the socket is ready in `direction`, then lets
    /// hiredis read or write, and waits again while hiredis still wants it.
    void arm(Direction direction);
    void arm_timeout();
    void check_timeouts();
    void context_gone();
    void answered();

    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_push(redisAsyncContext* ac, void* reply, void* privdata);
    static void hook_add_read(void* data);
    static void hook_del_read(void* data);
    static void hook_add_write(void* data);
    static void hook_del_write(void* data);
    static void hook_cleanup(void* data);

    sdk::Executor executor_;
    ConnectionOptions options_;
    sdk::Logger& log_;
    std::string label_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer connect_timer_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer timeout_timer_;

    /// Frees a context with redisAsyncFree.
    struct ContextFree {
        void operator()(redisAsyncContext* ac) const noexcept;
    };
    // The current context. hiredis frees it itself when the connection fails; its
    // cleanup hook (context_gone) then releases this pointer.
    std::unique_ptr<redisAsyncContext, ContextFree> ac_;
    State state_ = State::idle;
    std::uint64_t attempt_ = 0;     // one per connection attempt; stale timers compare it
    std::uint64_t generation_ = 0;  // one per context; stale Asio handlers compare it
    struct Readiness {
        bool wanted = false;  // hiredis asked for it (its add/del hooks)
        bool armed = false;   // an async_wait is under way
    };
    Readiness& readiness(Direction direction) {
        return direction == Direction::read ? reading_ : writing_;
    }
    Readiness reading_;
    Readiness writing_;
    bool timeout_armed_ = false;
    bool was_up_ = false;
    std::error_code failure_;  // what pending commands answer when the context goes
    std::deque<std::chrono::steady_clock::time_point> deadlines_;  // replies come in order
    std::chrono::milliseconds backoff_;
    std::map<std::string, MessageHandler, std::less<>> subscriptions_;
    std::map<std::string, std::vector<ReplyHandler>, std::less<>> confirmations_;
    std::string last_error_;
    std::function<void()> on_up_;
    std::function<void(std::error_code)> on_down_;
};

}  // namespace relay::plugins::valkey
