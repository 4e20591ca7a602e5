#pragma once
#include "engineio/handshake.hpp"
#include "server/address_limits.hpp"
#include "server/opening_request.hpp"
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/live_value.hpp>
#include <relay/sdk/metrics.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace relay::plugins::websocket {

class ChatSocket;
class SessionRegistry;
class Shard;
class WebSocketLink;
struct ChatShared;
struct Telemetry;

namespace engineio {
struct Packet;
}

/// The settings an Engine.IO session reads.
struct SessionOptions {
    std::chrono::milliseconds ping_interval{};
    std::chrono::milliseconds ping_timeout{};
    /// Bounds an upgrade's probe, and how long a closed polling session waits for the
    /// GET that takes its last frames.
    std::chrono::milliseconds handshake_timeout{};
    std::chrono::milliseconds connect_timeout{};  ///< Engine.IO open → Socket.IO CONNECT
    // Live: SIGHUP may change them (ServerContext::apply_live).
    sdk::LiveValue<std::uint64_t> max_payload;       ///< announced in the open packet
    sdk::LiveValue<std::uint64_t> max_queued_bytes;  ///< then the client is dropped as slow
    bool offer_upgrade{};                            ///< polling sessions may move to WebSocket
};

/// What the Engine.IO sessions of one transport share (the transport owns it).
struct SessionShared {
    SessionOptions options;
    SessionRegistry& registry;  ///< where a session is found by its sid while open
    /// EngineSession objects alive (a closed one lives until its last frames are out);
    /// shared, for sessions destroyed after the transport.
    std::shared_ptr<std::atomic<std::int64_t>> live_sessions;
    Telemetry& telemetry;               ///< log, sessions, slow_consumers, bad_packets
    const std::atomic<bool>& stopping;  ///< the transport is stopping
    ChatShared& chat;                   ///< for the chat socket each session makes
};

/// One Engine.IO v4 session: its transport (HTTP long-polling, WebSocket, or polling
/// upgraded to WebSocket), its bounded outbound queue, its heartbeat, and the
/// Socket.IO socket on top.
/// Lifecycle: made by an HTTP handshake; registered with the transport until close().
/// Thread safety: everything runs on its shard's executor; requests from other
/// threads post here first.
class EngineSession : public std::enable_shared_from_this<EngineSession> {
public:
    /// Answers a pending polling GET with a response body; runs on this session's
    /// executor (the caller posts to its own connection).
    using PollWaiter = std::function<void(std::string body)>;

    /// Lives on `shard` (its thread); made by the handshake `opening`.
    EngineSession(const SessionShared& shared, Shard& shard, std::string sid,
                  OpeningRequest opening);
    ~EngineSession();
    EngineSession(const EngineSession&) = delete;
    EngineSession& operator=(const EngineSession&) = delete;
    EngineSession(EngineSession&&) = delete;
    EngineSession& operator=(EngineSession&&) = delete;

    const std::string& sid() const { return sid_; }
    /// The client's IP address (the handshake's), for sdk::Message::remote_address;
    /// `lease` counts a polling session against it until the session closes.
    void set_remote_address(std::string address, AddressLimits::Lease lease = {}) {
        remote_address_ = std::move(address);
        address_lease_ = std::move(lease);
    }
    const std::string& remote_address() const { return remote_address_; }
    ChatSocket& chat() { return *chat_; }
    sdk::Executor executor() const;
    bool closed() const { return closed_; }
    bool over_websocket() const { return ws_ != nullptr; }
    /// Bytes queued for the client and not yet written (what max_queued_bytes bounds).
    std::size_t queued_bytes() const { return outbox_bytes_; }

    /// Opens the session over polling; returns the body of the handshake response.
    std::string open_polling();
    /// Opens the session over a WebSocket (no polling first); sends the open packet.
    void open_websocket(const std::shared_ptr<WebSocketLink>& link);

    /// A polling GET: answered now when frames are queued, else when one is; nullopt.
    /// Or the HTTP error to answer instead, `waiter` unused: `bad_request` when
    /// another GET is already waiting (the session is closed, as engine.io does), or
    /// when the session has moved to WebSocket (it is left alone: engine.io's
    /// transport mismatch); `unknown_sid` when it has closed (and drains nothing).
    std::optional<engineio::HttpError> poll(PollWaiter waiter);
    /// The connection of a waiting GET went away. The client is gone (the session
    /// closes), unless it moved to WebSocket and merely dropped a polling request.
    void on_poll_hangup();
    /// A polling POST body; nullopt when the caller answers 200 "ok". `bad_request`
    /// when the body broke the protocol (the session is closed) or the session has
    /// moved to WebSocket (it is left alone); `unknown_sid` as for poll().
    std::optional<engineio::HttpError> receive_polling(std::string_view body);
    /// An upgrade's WebSocket, handshake done: probe it, then switch on `5`.
    void begin_upgrade(const std::shared_ptr<WebSocketLink>& link);

    // Called by links.
    /// A WebSocket message came in over `link`.
    void receive_websocket(WebSocketLink* link, std::string_view data, bool binary);
    void on_ws_closed(WebSocketLink* link, std::error_code ec);

    /// Queues frames (shared, not copied). Past max_queued_bytes the session is
    /// closed as a slow consumer, by a posted task (never inside this call).
    void send(const OutFrame& frame);
    void send(const std::vector<OutFrame>& frames);
    /// Closes the session as a slow consumer (`queued` bytes waiting), by a posted task;
    /// once, however often it is called.
    void drop_slow_consumer(std::size_t queued);

    /// Ends the session: the Socket.IO socket leaves its room, the transport closes
    /// (after the queued frames, unless `flush_queued` is false).
    void close(std::string_view reason, bool flush_queued = true);

private:
    void on_packet(const engineio::Packet& packet, bool from_polling);
    /// Answers the waiting GET, if any, with a noop so the client's polling pauses.
    void release_poll();
    /// The queued frames as one polling payload; empties the queue.
    std::string take_payload();
    /// A closed polling session's close packet went out: it stays findable for a
    /// moment, for the client's POSTs already in flight.
    void linger_after_close();
    /// A closed polling session's last frames went out, or nobody came for them.
    void end_drain();
    void end_probe();
    void flush();
    void write_next();
    /// What the session timer waits for; until the Socket.IO CONNECT it also keeps
    /// connect_timeout, so a session needs one timer, not two.
    enum class TimerDue : std::uint8_t { ping, pong };
    using TimePoint = std::chrono::steady_clock::time_point;
    /// Schedules the next ping after ping_interval.
    void arm_ping();
    void arm_timer(TimerDue due, TimePoint at, std::uint64_t generation);
    void on_timer(TimerDue due, TimePoint at, std::uint64_t generation);
    void fail(std::error_code ec, std::string_view what);

    const SessionShared& shared_;
    std::shared_ptr<std::atomic<std::int64_t>> live_;  // shared_.live_sessions
    sdk::Gauge& sessions_gauge_;                       // the host's: outlives the transport
    Shard& shard_;
    std::string sid_;
    std::string remote_address_;
    AddressLimits::Lease address_lease_;  // a polling session's, released on close
    std::unique_ptr<ChatSocket> chat_;

    std::shared_ptr<WebSocketLink> ws_;        // the active WebSocket, if any
    std::shared_ptr<WebSocketLink> probing_;   // an upgrade's WebSocket until `5`
    bool probed_ = false;                      // `2probe` answered: the client pauses polling
    boost::asio::steady_timer upgrade_timer_;  // bounds the time from `2probe` to `5`
    PollWaiter waiter_;                        // a pending polling GET

    std::deque<OutFrame> outbox_;
    std::size_t outbox_bytes_ = 0;
    std::size_t writing_count_ = 0;  // frames at the front of outbox_ being written
    bool writing_ = false;
    bool drop_scheduled_ = false;

    boost::asio::steady_timer timer_;  // next ping, then the pong deadline
    std::uint64_t timer_generation_ = 0;
    bool awaiting_pong_ = false;
    TimePoint opened_at_;
    bool closed_ = false;
    bool broke_protocol_ = false;  // closed for a parse error or overlapping polls
    bool draining_ =
        false;  // closed, polling: frames (or the close) for the next GET, or lingering
    bool lingering_ = false;  // the close packet went out (see linger_after_close)
    std::string scratch_;
};

}  // namespace relay::plugins::websocket
