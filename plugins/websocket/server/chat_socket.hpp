#pragma once
#include "server/opening_request.hpp"
#include "server/out_frame.hpp"
#include "server/recovery_registry.hpp"
#include "server/recovery_token.hpp"
#include "server/session_recovery.hpp"
#include "server/shard.hpp"
#include "socketio/auth.hpp"
#include "socketio/decoder.hpp"
#include "socketio/history_page.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/auth.hpp>
#include <relay/sdk/live_value.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/store.hpp>
#include <relay/sdk/transport.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace relay::plugins::websocket {

class EngineSession;
struct Telemetry;

/// The settings a chat socket (and its recovery) reads.
struct ChatOptions {
    // Live: SIGHUP may change them (ServerContext::apply_live).
    sdk::LiveValue<std::uint64_t> max_attachment_bytes;  ///< max_payload
    sdk::LiveValue<std::size_t> max_room_bytes;
    sdk::LiveValue<std::size_t> max_user_bytes;
    sdk::LiveValue<std::uint64_t> history_max;  ///< messages a history query asks the store for
    sdk::LiveValue<std::uint64_t>
        history_max_bytes;  ///< a history page, a recovery's missed messages
    sdk::LiveValue<std::uint64_t> max_queued_bytes;  ///< what the client may have queued
    bool recovery{};                                 ///< connection state recovery on
    std::chrono::milliseconds recovery_window{};
};

/// What the chat sockets of one transport share (the transport owns it).
struct ChatShared {
    ChatShared(ChatOptions chat_options, RecoveryTokens recovery_tokens, std::string node,
               Telemetry& reports, const std::atomic<bool>& stopping_flag)
        : options(std::move(chat_options)),
          tokens(std::move(recovery_tokens)),
          node_id(std::move(node)),
          telemetry(reports),
          stopping(stopping_flag) {}

    ChatOptions options;
    /// The host's side, where what came in goes (publish, history, recover, presence);
    /// set by the transport's start, before any session exists.
    sdk::Inbound* inbound = nullptr;
    RecoveryTokens tokens;      ///< issues and checks the pids (recovery_secret)
    RecoveryRegistry recovery;  ///< the sessions that closed or live here, by pid
    std::string node_id;        ///< this node, in presence members
    /// Publishes whose ack has not come back yet; the transport's stop waits for them.
    std::atomic<std::int64_t> publishes_in_flight{0};
    Telemetry& telemetry;               ///< log, messages_received, bad_packets
    const std::atomic<bool>& stopping;  ///< the transport is stopping: nothing new
};

/// The Socket.IO socket of one Engine.IO session, on the main namespace `/`, and the
/// chat on top of it (the wire contract is in README.md):
///   CONNECT with auth {room, user, ..} → authenticated (Inbound::authenticate), then
///                                      joins the room (else CONNECT_ERROR with the reason)
///   EVENT "refresh" {token..} [ack]    → authenticated again: a later expiry (same user)
///   EVENT "message" {..} [ack]         → published; ack {id} once durable, or {error}
///   EVENT "history" {limit, before?, after?} → ack [messages], oldest first, at most
///                                      history_max_bytes; {more, before|after} second
///                                      when some did not fit (socketio/history_page.hpp)
///   EVENT "presence"                   → ack [{sid, user}]
///   broadcasts                         → EVENT "message" {.., id, room, ts, sender, user}, offset
///   members coming and going           → EVENT "join" / "leave" {sid, user, room}
/// Connection state recovery: a CONNECT with the `pid` of a session that closed less
/// than `recovery_window` ago gets the same sid and room back, and SessionRecovery sends
/// every message after its `offset` before any live one. Only closes the client did not
/// ask for are recoverable (as in socket.io: transport close or error, ping timeout).
/// The pid is a signed token (RecoveryTokens), so the session recovers on any node that
/// shares the secret, whether the node it came from stopped, crashed or is still up;
/// the node that saw the session close decides by its own record (RecoveryRegistry).
/// In its room, the socket is a Shard::Recipient: the shard delivers the room's
/// broadcasts to it, and it sends them out through its session.
/// Its identity (sdk::Identity) decides the name others see and every action: `join`
/// to connect (and recover), `publish`, `history` (and recovery's replay), `presence`;
/// an action without its permission is acked `{error: "forbidden"}`. When the identity
/// expires the socket is disconnected (event "expired", then DISCONNECT).
/// Thread safety: the session's executor only.
class ChatSocket final : public Shard::Recipient {
public:
    /// The chat socket of `session`, which lives on `shard`; `opening`: the request
    /// that opened the session (its `room` header is the room if the CONNECT names none).
    ChatSocket(ChatShared& shared, EngineSession& session, Shard& shard, OpeningRequest opening);
    ~ChatSocket() override;
    ChatSocket(const ChatSocket&) = delete;
    ChatSocket& operator=(const ChatSocket&) = delete;
    ChatSocket(ChatSocket&&) = delete;
    ChatSocket& operator=(ChatSocket&&) = delete;

    static constexpr std::string_view kMainNamespace = "/";

    const std::string& sid() const { return sid_; }
    const std::string& room() const { return room_; }
    bool connected() const { return connected_; }

    /// An Engine.IO text message (the Socket.IO packet) or binary message (attachment)
    /// came in from the client.
    void receive_text(std::string_view packet);
    void receive_binary(std::string_view bytes);
    /// A broadcast of this socket's room, to be sent out to the client (unless its
    /// recovery holds it back or the client has it already).
    void deliver(const std::shared_ptr<const Broadcast>& broadcast) override;
    /// The session ended: leave the room, leave presence, remember for recovery.
    void on_close(std::string_view reason);

    /// True when the socket is connected and `target` names it (its sid, or its user id
    /// or display name; in the target's room when it names one).
    bool matches(const sdk::DisconnectTarget& target) const;
    /// Ends the session on the server's word (the server API), as `target` says: as a
    /// network failure would (the client reconnects and recovers), or with Socket.IO's
    /// DISCONNECT (the client stays away; the session is not recoverable).
    void disconnect_by_server(bool allow_reconnect);

    /// Sends the CONNECT reply (with the pid when recovery is on).
    void send_connect();
    /// The client connects afresh rather than recovered: a new pid, the CONNECT reply.
    void connect_afresh();
    SessionRecovery& recovery() { return recovery_; }

private:
    void on_packet(socketio::Packet& packet, std::vector<std::string> attachments);
    void on_connect(const socketio::Packet& packet);
    /// CONNECT to the main namespace with `auth` (a JSON object): asks who the client
    /// is, then admit() with the answer.
    void connect(std::string_view auth);
    /// The CONNECT of a client whose identity is known: recovers or joins its room.
    void admit(std::string_view auth, bool may_take_over);
    void on_identity(std::string auth, sdk::AuthOutcome outcome);
    using IdentityDone = std::function<void(ChatSocket&, sdk::AuthOutcome)>;
    /// Asks the pipeline's auth who presents `handshake`; `then` runs on this session's
    /// thread with the answer, unless the session closed meanwhile.
    void authenticate(const sdk::Handshake& handshake, IdentityDone then);
    /// A refusal's reason for the client (a plugin that gave none: "Not authorized").
    static std::string_view refusal_reason(const sdk::AuthOutcome& outcome);
    /// Arms (or disarms) the disconnect at the identity's expiry.
    void watch_expiry();
    void on_expired();
    /// True when the identity may do `action` in the room; else acks `forbidden`.
    bool permitted(sdk::Permission action, std::optional<std::uint64_t> ack_id);
    void on_refresh(const socketio::Packet& packet);
    void on_refreshed(std::optional<std::uint64_t> ack_id, sdk::AuthOutcome outcome);
    /// Recovers the session `request` names, in `room` (empty: the session's), if this
    /// node's record or its token allows; false: connect afresh.
    bool try_recover(const socketio::RecoveryRequest& request, const std::string& room,
                     std::string_view auth, bool may_take_over);
    /// `from_elsewhere`: the session was last seen on another node (or process).
    void restore(std::string sid, std::string room, std::string user,
                 const socketio::RecoveryRequest& request, bool from_elsewhere);
    void take_over(const std::shared_ptr<EngineSession>& old, std::string auth);
    /// Joins the room; `reply`: sends the CONNECT reply too (recovery sends it later);
    /// `member_elsewhere`: presence may list the sid for another node, to be replaced.
    void accept_connect(std::string room, std::string user, bool reply = true,
                        bool member_elsewhere = false);
    void on_event(const socketio::Packet& packet, std::vector<std::string> attachments);
    void on_message(const socketio::Packet& packet, std::vector<std::string> attachments);
    void on_history(const socketio::Packet& packet);
    /// Asks the store; one query per socket at a time (see history_waiting_).
    void start_history(std::uint64_t ack_id, const sdk::HistoryQuery& query);
    /// Answers a history query with the page of `messages` that fits (see
    /// socketio/history_page.hpp), then starts the next waiting query.
    void answer_history(std::uint64_t ack_id, const sdk::HistoryQuery& query, std::error_code ec,
                        std::vector<sdk::Message> messages);
    void on_presence(const socketio::Packet& packet);
    /// ACKs `id` with one argument; with attachments, a BINARY_ACK followed by them.
    void ack(std::uint64_t id, std::string_view json_arg,
             std::vector<std::string> attachments = {});
    void ack(std::uint64_t id, std::span<const std::string_view> json_args,
             std::vector<std::string> attachments);
    void ack_error(std::optional<std::uint64_t> id, std::string_view error);
    void refuse_connect(std::string_view nsp, std::string_view message);
    void fail(std::error_code ec, std::string_view what);

    ChatShared& shared_;
    EngineSession& session_;
    Shard& shard_;
    socketio::Decoder decoder_;
    OpeningRequest opening_;  // until the CONNECT is decided
    // Who the client is; set before connected_. Shared: many sockets of an open
    // pipeline hold the same one.
    std::shared_ptr<const sdk::Identity> identity_;
    std::unique_ptr<boost::asio::steady_timer> expiry_timer_;  // only for identities that expire
    bool refreshing_ = false;                                  // one refresh at a time
    std::string sid_;
    std::string pid_;
    std::string room_;
    std::string user_;
    std::int64_t joined_ms_ = 0;
    bool connected_ = false;
    bool connecting_ = false;  // a CONNECT waits for a take-over
    bool joined_room_ = false;
    SessionRecovery recovery_;
    // One history query per socket at a time: a store's answer is held in memory
    // whole (up to history_max messages) before it is cut to a page, so a client
    // firing many at once would hold many. The others wait here, a few at most.
    struct WaitingHistory {
        std::uint64_t ack_id = 0;
        sdk::HistoryQuery query;
    };
    bool history_in_flight_ = false;
    std::deque<WaitingHistory> history_waiting_;
};

}  // namespace relay::plugins::websocket
