#pragma once
#include "server/out_frame.hpp"
#include "server/session_recovery.hpp"
#include "socketio/auth.hpp"
#include "socketio/decoder.hpp"
#include "socketio/history_page.hpp"

#include <relay/sdk/message.hpp>
#include <relay/sdk/store.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace relay::plugins::websocket {

class EngineSession;
struct ServerContext;

/// The Socket.IO socket of one Engine.IO session, on the main namespace `/`, and the
/// chat on top of it (the wire contract is in README.md):
///   CONNECT with auth {room, user}     → joins the room (else CONNECT_ERROR)
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
/// Thread safety: the session's executor only.
class ChatSocket {
public:
    ChatSocket(ServerContext& server, EngineSession& session, std::string room_header);
    ~ChatSocket();
    ChatSocket(const ChatSocket&) = delete;
    ChatSocket& operator=(const ChatSocket&) = delete;
    ChatSocket(ChatSocket&&) = delete;
    ChatSocket& operator=(ChatSocket&&) = delete;

    static constexpr std::string_view kMainNamespace = "/";

    const std::string& sid() const { return sid_; }
    const std::string& room() const { return room_; }
    bool connected() const { return connected_; }

    /// An Engine.IO text message (the Socket.IO packet) or binary message (attachment).
    void on_text(std::string_view packet);
    void on_binary(std::string_view bytes);
    /// A broadcast for this socket's room.
    void send_broadcast(const std::shared_ptr<const Broadcast>& broadcast);
    /// The session ended: leave the room, leave presence, remember for recovery.
    void on_close(std::string_view reason);

    /// Sends the CONNECT reply (with the pid when recovery is on).
    void send_connect();
    /// The client connects afresh rather than recovered: a new pid, the CONNECT reply.
    void connect_afresh();
    SessionRecovery& recovery() { return recovery_; }

private:
    void on_packet(socketio::Packet& packet, std::vector<std::string> attachments);
    void on_connect(const socketio::Packet& packet);
    /// CONNECT to the main namespace with `auth` (a JSON object).
    void connect(std::string_view auth, bool may_take_over);
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

    ServerContext& server_;
    EngineSession& session_;
    socketio::Decoder decoder_;
    std::string room_header_;
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
