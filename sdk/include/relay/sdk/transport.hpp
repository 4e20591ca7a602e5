#pragma once
#include <relay/sdk/auth.hpp>
#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/config.hpp>
#include <relay/sdk/error.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/store.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::sdk {

/// The outcome of a publish, for the sender's ack.
struct Published {
    std::error_code error;  ///< empty: durable
    std::string reason;     ///< why not, in words for the client (rejections, backpressure)
    std::string id;         ///< the message id the host gave it
    std::string position;   ///< the queue position, once durable
    /// With an error: when the sender may try again (Verdict::throttle); zero: not said.
    /// A transport tells its client (the websocket transport: `retry_after_ms` in the ack).
    std::chrono::milliseconds retry_after{0};
};
using PublishedDone = std::function<void(const Published&)>;

/// What a transport calls into: the host's side of the pipeline.
/// Thread safety: every function may be called from any I/O thread. Callbacks run on
/// a host executor that need not be the caller's: post to the connection's own.
class Inbound {
public:
    virtual ~Inbound() = default;
    /// Who the client presenting `handshake` is: the pipeline's auth plugin decides;
    /// without one the answer is Identity::open() (any room, the client's own name). The
    /// transport enforces the identity: its display name replaces the client's `user`,
    /// each action needs its room permission, and at `expires_at` the client goes
    /// unless a `refresh` brought a newer identity.
    virtual void authenticate(const Handshake& handshake, AuthDone done) = 0;
    /// Accepts a client message. The transport sets room, sender, user, payload and
    /// attachments; the host sets id and ts, runs the processors and the queue.
    virtual void publish(Message msg, PublishedDone done) = 0;
    virtual void history(std::string_view room, HistoryQuery query, HistoryDone done) = 0;
    /// Messages of `room` after the message `after_id`, for connection state recovery.
    virtual void recover(std::string_view room, std::string_view after_id, HistoryDone done) = 0;
    virtual void join(const Member& member, Done done) = 0;
    virtual void leave(const Member& member, Done done) = 0;
    virtual void members(std::string_view room, MembersDone done) = 0;
};

/// A room with members on this node, as Transport::rooms() lists it.
struct LocalRoom {
    std::string room;
    std::size_t members = 0;  ///< connections of this node in the room
};
using LocalRoomsDone = std::function<void(std::error_code, std::vector<LocalRoom>)>;

/// Which of this node's connections Transport::disconnect() ends, and how. A connection
/// matches when it is `sid` (the client's id, as presence lists it), or, with `sid`
/// empty, when its user is `user` (the user id or the display name); `room` non-empty
/// narrows either to that room. A target naming neither sid nor user matches nothing.
struct DisconnectTarget {
    std::string sid;
    std::string user;
    std::string room;
    /// true: the connection closes as after a network failure, so the client reconnects
    /// on its own (and recovers its session where it can). false: the client is told
    /// the server ended its session (Socket.IO's DISCONNECT, "io server disconnect"),
    /// after which clients do not reconnect on their own, and the session is not
    /// recoverable.
    bool allow_reconnect = true;
};
/// `disconnected`: how many connections it ended.
using DisconnectDone = std::function<void(std::error_code, std::size_t disconnected)>;

/// Owns client connections: accepts, speaks the client protocol, keeps room
/// membership, delivers broadcasts.
/// Lifecycle: start() once; broadcast() between start() and stop(); stop() stops
/// accepting, lets in-flight publishes finish (their acks go out), closes clients.
/// Thread safety: broadcast() and presence_changed() are called on a host executor,
/// one call at a time per room. Nothing here throws.
class Transport {
public:
    virtual ~Transport() = default;
    virtual void start(Inbound& inbound, Done done) = 0;
    /// Delivers `msg` to every local member of `msg.room` except the connection
    /// `except_sender`.
    virtual void broadcast(const Message& msg, std::string_view except_sender) = 0;
    /// A member joined or left a room, on any node.
    virtual void presence_changed(const PresenceEvent& event) = 0;
    virtual void stop(Done done) = 0;
    /// Re-read what may have changed on disk (a TLS certificate and key): the host calls
    /// it on SIGHUP, on the plugin's executor, after start() (until the plugin is
    /// destroyed, so possibly after stop()). Connections already open keep what they
    /// have; keep the old state when the new one is bad, and log why.
    virtual void reload() {}
    /// SIGHUP changed keys of this transport's schema marked reloadable(): apply
    /// them. `config` is the whole new section, already checked against the schema and
    /// the plugin's check; it is valid only during the call. The host calls it on the
    /// plugin's executor, after start(), before reload(). Connections already open may
    /// keep what they were promised at their handshake; the new values apply to what
    /// comes next (a message, a query, a connection). The default ignores the call: a
    /// transport that marks no key reloadable() never gets it.
    virtual void reconfigure(const ConfigView& config) { (void)config; }
    /// The rooms with members on this node, each with how many (for the server API).
    /// Optional: the default answers Errc::not_supported, inline. Any thread; `done`
    /// runs on a plugin executor.
    virtual void rooms(
        LocalRoomsDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), {});
    }
    /// Ends the connections on this node that `target` matches (for the server API).
    /// Optional: the default answers Errc::not_supported, inline. Any thread; `done`
    /// runs on a plugin executor, once every matching connection was told.
    virtual void disconnect(
        const DisconnectTarget& /*target*/,
        DisconnectDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), 0);
    }
};

}  // namespace relay::sdk
