#include "server/chat_socket.hpp"

#include "server/engine_session.hpp"
#include "server/random_id.hpp"
#include "server/telemetry.hpp"
#include "server/wall_clock.hpp"
#include "socketio/auth.hpp"
#include "socketio/chat.hpp"
#include "socketio/encode.hpp"
#include "socketio/json.hpp"
#include "socketio/renumber.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/message_id.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

namespace relay::plugins::websocket {

namespace json = socketio::json;

namespace {

// History queries a socket may have waiting behind the one in flight; one more is
// answered with an error.
constexpr std::size_t kMaxWaitingHistory = 8;

// What an ack frame adds to a history page besides the messages: `43<ack id>[` (or
// `46<count>-<ack id>[`), `]`, the comma before a second argument, its queue slot.
constexpr std::size_t kAckOverhead = 48 + sizeof(OutFrame);
// The second argument without its cursor's quoted text: `{"more":true,"before":}`.
constexpr std::size_t kMoreObjectOverhead = 24;

/// `a - b`, or 0 when b is larger.
std::size_t minus(std::size_t a, std::size_t b) {
    return a > b ? a - b : 0;
}

// Why a session the server API ended closed: allowing the client back, or not.
constexpr std::string_view kServerDisconnectReconnect = "server disconnect, reconnect allowed";
constexpr std::string_view kServerDisconnectFinal = "server namespace disconnect";

/// The close reasons after which socket.io keeps a session for recovery: the client
/// did not ask to leave (a DISCONNECT packet) and nothing it sent was malformed.
bool recoverable(std::string_view reason) {
    return reason == "transport close" || reason == "transport error" || reason == "ping timeout" ||
           reason == "client close" || reason == "slow consumer" ||
           reason == kServerDisconnectReconnect;
}

/// `{"error":"<text>"}`
std::string error_object(std::string_view error) {
    std::string out = "{\"error\":";
    json::append_string(out, error);
    out += '}';
    return out;
}

/// A member event: `{"sid":..,"user":..,"room":..}`.
std::string member_object(const sdk::Member& m) {
    std::string out = "{\"sid\":";
    json::append_string(out, m.sid);
    out += ",\"user\":";
    if (m.user.empty()) {
        out += "null";
    } else {
        json::append_string(out, m.user);
    }
    out += ",\"room\":";
    json::append_string(out, m.room);
    out += '}';
    return out;
}

std::optional<std::uint64_t> integer_member(std::string_view object_json, std::string_view key) {
    json::MemberList members;
    if (json::parse_object(object_json, members)) return std::nullopt;
    std::optional<std::uint64_t> found;
    for (const auto& m : members) {
        if (!json::string_equals(m.key, key)) continue;
        std::uint64_t value = 0;
        const auto* end = m.value.data() + m.value.size();
        auto [ptr, ec] = std::from_chars(m.value.data(), end, value);
        found = (ec == std::errc{} && ptr == end) ? std::optional(value) : std::nullopt;
    }
    return found;
}

}  // namespace

ChatSocket::ChatSocket(ChatShared& shared, EngineSession& session, Shard& shard,
                       OpeningRequest opening)
    : shared_(shared),
      session_(session),
      shard_(shard),
      decoder_([&] {
          socketio::Decoder::Limits limits;
          limits.max_attachment_bytes = shared.options.max_attachment_bytes;
          return limits;
      }()),
      opening_(std::move(opening)),
      recovery_(shared, session, shard, *this) {}

ChatSocket::~ChatSocket() = default;

void ChatSocket::receive_text(std::string_view packet) {
    socketio::Packet decoded;
    bool ready = false;
    if (auto ec = decoder_.feed_text(packet, decoded, ready)) {
        fail(ec, "bad Socket.IO packet");
        return;
    }
    if (ready) on_packet(decoded, {});
}

void ChatSocket::receive_binary(std::string_view bytes) {
    socketio::Packet decoded;
    bool ready = false;
    if (auto ec = decoder_.feed_binary(bytes, decoded, ready)) {
        fail(ec, "bad Socket.IO attachment");
        return;
    }
    if (ready) on_packet(decoded, decoder_.take_attachments());
}

void ChatSocket::on_packet(socketio::Packet& packet, std::vector<std::string> attachments) {
    using socketio::PacketType;
    if (packet.type == PacketType::connect) {
        on_connect(packet);
        return;
    }
    if (packet.nsp != kMainNamespace || !connected_) {
        // Packets for a namespace this socket is not connected to are ignored, as the
        // reference server does (a CONNECT to it was already refused).
        return;
    }
    switch (packet.type) {
        case PacketType::event:
        case PacketType::binary_event: on_event(packet, std::move(attachments)); break;
        case PacketType::disconnect: session_.close("client namespace disconnect"); break;
        case PacketType::ack:
        case PacketType::binary_ack: break;  // the server asks for no acks from clients
        case PacketType::connect:
        case PacketType::connect_error:
            fail(make_error_code(sdk::Errc::invalid_argument), "unexpected Socket.IO packet");
            break;
    }
}

void ChatSocket::refuse_connect(std::string_view nsp, std::string_view message) {
    session_.send(text_frame(socketio::encode_connect_error(nsp, message)));
}

void ChatSocket::on_connect(const socketio::Packet& packet) {
    if (packet.nsp != kMainNamespace) {
        refuse_connect(packet.nsp, "Invalid namespace");
        return;
    }
    if (connected_ || connecting_) return;  // a repeated CONNECT changes nothing
    connect(packet.data.empty() ? std::string_view("{}") : packet.data);
}

void ChatSocket::connect(std::string_view auth) {
    if (shared_.stopping) {
        refuse_connect(kMainNamespace, "Server is shutting down");
        return;
    }
    connecting_ = true;
    sdk::Handshake handshake;
    handshake.auth_json = std::string(auth);
    // Copied, not moved: a refused client may CONNECT again on this session.
    handshake.headers = opening_.headers;
    handshake.query = opening_.query;
    handshake.remote_address = session_.remote_address();
    auto room = socketio::string_member(auth, "room");
    handshake.room = room && !room->empty() ? std::move(*room) : opening_.room_header;
    authenticate(handshake,
                 [auth = std::string(auth)](ChatSocket& chat, sdk::AuthOutcome outcome) mutable {
                     chat.on_identity(std::move(auth), std::move(outcome));
                 });
}

void ChatSocket::authenticate(const sdk::Handshake& handshake, IdentityDone then) {
    // The plugin answers on any thread, maybe inline: the answer comes back to this
    // session's thread, and goes nowhere once the session closed.
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    shared_.inbound->authenticate(
        handshake, [weak, executor = session_.executor(),
                    then = std::move(then)](sdk::AuthOutcome outcome) mutable {
            boost::asio::post(
                executor, [weak, then = std::move(then), outcome = std::move(outcome)]() mutable {
                    auto session = weak.lock();
                    if (session && !session->closed()) then(session->chat(), std::move(outcome));
                });
        });
}

std::string_view ChatSocket::refusal_reason(const sdk::AuthOutcome& outcome) {
    return outcome.reason.empty() ? std::string_view("Not authorized") : outcome.reason;
}

void ChatSocket::on_identity(std::string auth, sdk::AuthOutcome outcome) {
    connecting_ = false;
    if (!outcome.allowed) {
        refuse_connect(kMainNamespace, refusal_reason(outcome));
        return;
    }
    identity_ = std::make_shared<const sdk::Identity>(std::move(outcome.identity));
    admit(auth, true);
}

void ChatSocket::admit(std::string_view auth, bool may_take_over) {
    if (shared_.stopping) {
        refuse_connect(kMainNamespace, "Server is shutting down");
        return;
    }
    auto room = socketio::string_member(auth, "room");
    if (!room || room->empty()) room = opening_.room_header;
    if (shared_.options.recovery) {
        // As socket.io: a session is recovered from the offset of the last message the
        // client got; without one (it got none) it starts afresh (`recovered` false).
        if (auto request = socketio::recovery_request(auth); request && !request->offset.empty()) {
            if (try_recover(*request, *room, auth, may_take_over)) return;
        }
    }
    if (room->empty()) {
        refuse_connect(kMainNamespace, "Invalid room id");
        return;
    }
    // Names reach every member of the room (messages, join/leave, presence): bounded
    // and printable, checked before anything is joined or announced. With an auth
    // plugin the name is the identity's, whatever the client says.
    auto user = identity_->user_id.empty() ? socketio::string_member(auth, "user").value_or("")
                                           : identity_->display_name();
    const auto& limits = shared_.options;
    if (auto problem = socketio::check_name(*room, limits.max_room_bytes);
        problem != socketio::NameProblem::none) {
        refuse_connect(kMainNamespace,
                       socketio::name_error("room id", problem, limits.max_room_bytes));
        return;
    }
    if (auto problem = socketio::check_name(user, limits.max_user_bytes);
        problem != socketio::NameProblem::none) {
        refuse_connect(kMainNamespace,
                       socketio::name_error("user", problem, limits.max_user_bytes));
        return;
    }
    if (!identity_->may(sdk::Permission::join, *room)) {
        refuse_connect(kMainNamespace, "Forbidden: not allowed to join this room");
        return;
    }
    sid_ = random_id();
    if (shared_.options.recovery) pid_ = shared_.tokens.issue({sid_, *room, user, now_ms()});
    accept_connect(*room, std::move(user));
}

bool ChatSocket::try_recover(const socketio::RecoveryRequest& request, const std::string& room,
                             std::string_view auth, bool may_take_over) {
    // The room is the one the client asks for now: a pid never moves it elsewhere. The
    // identity presented now must be the session's and may still join and read the
    // room (recovery replays what it missed); else the client connects afresh, where
    // the join is checked again.
    const auto same_room = [&](const std::string& session_room) {
        return room.empty() || room == session_room;
    };
    const auto still_allowed = [&](const std::string& session_room,
                                   const std::string& session_user) {
        return identity_->may(sdk::Permission::join, session_room) &&
               identity_->may(sdk::Permission::history, session_room) &&
               (identity_->user_id.empty() || identity_->display_name() == session_user);
    };
    // This node saw the session close: its record decides (the fast path, and the
    // only place that knows a pid was closed for good or already recovered).
    if (auto entry = shared_.recovery.take(request.pid)) {
        if (!entry->recoverable || !same_room(entry->room) ||
            !still_allowed(entry->room, entry->user)) {
            return false;
        }
        restore(entry->sid, entry->room, entry->user, request, false);
        return true;
    }
    if (may_take_over) {
        if (auto old = shared_.recovery.find_live(request.pid)) {
            take_over(old, std::string(auth));
            return true;
        }
    }
    // Another node's session (or this node's before a restart): its signed pid says
    // what it was. That node may be gone, so when it closed is unknown; the latest
    // moment the client is known to have been connected is the later of the token's
    // issue and its last message (ids are time-ordered), and that must be within the
    // recovery window.
    auto claim = shared_.tokens.verify(request.pid);
    if (!claim || !same_room(claim->room) || !still_allowed(claim->room, claim->user)) return false;
    const auto now = now_ms();
    const auto seen_ms = std::min(now, sdk::message_id_time(request.offset).value_or(0));
    if (now - std::max(claim->issued_ms, seen_ms) > shared_.options.recovery_window.count()) {
        return false;
    }
    restore(claim->sid, claim->room, claim->user, request, true);
    return true;
}

void ChatSocket::restore(std::string sid, std::string room, std::string user,
                         const socketio::RecoveryRequest& request, bool from_elsewhere) {
    sid_ = std::move(sid);
    pid_ = request.pid;
    // The CONNECT waits for the outcome: its pid tells the client whether it was
    // recovered.
    accept_connect(std::move(room), std::move(user), false, from_elsewhere);
    recovery_.start(request.offset);
}

void ChatSocket::take_over(const std::shared_ptr<EngineSession>& old, std::string auth) {
    // The client is back before its old connection's close was noticed (another
    // thread, or a connection that died silently): only it knows the pid, so that
    // connection is gone. Close it as a lost transport, then recover from it.
    connecting_ = true;
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto here = session_.executor();
    boost::asio::post(old->executor(), [old, weak, here, auth = std::move(auth)]() mutable {
        old->close("transport close");
        boost::asio::post(here, [weak, auth = std::move(auth)] {
            auto session = weak.lock();
            if (!session || session->closed()) return;
            session->chat().connecting_ = false;
            session->chat().admit(auth, false);
        });
    });
}

void ChatSocket::accept_connect(std::string room, std::string user, bool reply,
                                bool member_elsewhere) {
    room_ = std::move(room);
    user_ = std::move(user);
    connected_ = true;
    joined_ms_ = now_ms();
    shard_.join(session_, room_, sid_, *this);
    joined_room_ = true;
    sdk::Member member{room_, sid_, user_, shared_.node_id, joined_ms_};
    if (member_elsewhere) {
        // The session's old node may still list the sid (it died, or has not noticed
        // the close yet): a cluster-wide presence keeps one member per sid, so that
        // entry goes first and this node's takes its place.
        // The join waits on this session's thread, so that a close meanwhile (whose
        // leave would otherwise pass it) means no join.
        std::weak_ptr<EngineSession> weak = session_.weak_from_this();
        shared_.inbound->leave(member, [weak, here = session_.executor(), inbound = shared_.inbound,
                                        member](std::error_code) {
            boost::asio::post(here, [weak, inbound, member] {
                auto session = weak.lock();
                if (session && !session->closed()) inbound->join(member, [](std::error_code) {});
            });
        });
    } else {
        shared_.inbound->join(member, [](std::error_code) {});
    }
    if (!pid_.empty()) shared_.recovery.add_live(pid_, session_.shared_from_this());
    opening_ = OpeningRequest{};  // the CONNECT is decided: an idle socket keeps no headers
    watch_expiry();
    if (reply) send_connect();
}

void ChatSocket::watch_expiry() {
    if (!identity_->expires()) {
        if (expiry_timer_) expiry_timer_->cancel();
        return;
    }
    if (!expiry_timer_)
        expiry_timer_ = std::make_unique<boost::asio::steady_timer>(session_.executor());
    const auto left = identity_->expires_at - std::chrono::system_clock::now();
    expiry_timer_->expires_after(std::chrono::ceil<std::chrono::milliseconds>(left));
    expiry_timer_->async_wait([weak = session_.weak_from_this()](boost::system::error_code ec) {
        if (ec) return;
        auto session = weak.lock();
        if (session && !session->closed()) session->chat().on_expired();
    });
}

void ChatSocket::on_expired() {
    if (!connected_ || !identity_->expires()) return;
    // The timer is steady, the expiry a wall-clock time: a wait may end a little
    // before it, or before a refresh moved it later. Wait again for what is left.
    if (std::chrono::system_clock::now() < identity_->expires_at) {
        watch_expiry();
        return;
    }
    const std::array<std::string_view, 1> args = {R"({"reason":"token expired"})"};
    session_.send(text_frame(socketio::encode_event({.name = "expired", .args = args})));
    session_.send(text_frame(socketio::encode_disconnect(kMainNamespace)));
    session_.close("auth expired");
}

bool ChatSocket::permitted(sdk::Permission action, std::optional<std::uint64_t> ack_id) {
    if (identity_->may(action, room_)) return true;
    ack_error(ack_id, "forbidden");
    return false;
}

void ChatSocket::on_refresh(const socketio::Packet& packet) {
    const auto args = packet.args();
    if (args.empty() || json::kind_of(args.front()) != json::Kind::object) {
        ack_error(packet.id, "refresh takes one argument, a JSON object (e.g. {token})");
        return;
    }
    if (refreshing_) {
        ack_error(packet.id, "a refresh is already under way");
        return;
    }
    refreshing_ = true;
    sdk::Handshake handshake;
    handshake.auth_json = std::string(args.front());
    handshake.remote_address = session_.remote_address();
    handshake.room = room_;
    handshake.refresh = true;
    authenticate(handshake, [ack_id = packet.id](ChatSocket& chat, sdk::AuthOutcome outcome) {
        chat.on_refreshed(ack_id, std::move(outcome));
    });
}

void ChatSocket::on_refreshed(std::optional<std::uint64_t> ack_id, sdk::AuthOutcome outcome) {
    refreshing_ = false;
    if (!connected_) return;
    if (!outcome.allowed) {
        ack_error(ack_id, refusal_reason(outcome));
        return;
    }
    // A refresh extends this session; it does not turn it into someone else's, nor
    // keep it in a room the new identity may not join.
    if (outcome.identity.user_id != identity_->user_id) {
        ack_error(ack_id, "refresh must be for the same user");
        return;
    }
    if (!outcome.identity.may(sdk::Permission::join, room_)) {
        ack_error(ack_id, "Forbidden: not allowed to join this room");
        return;
    }
    identity_ = std::make_shared<const sdk::Identity>(std::move(outcome.identity));
    watch_expiry();
    if (!ack_id) return;
    std::string arg = "{\"ok\":true,\"expires_at\":";
    if (identity_->expires()) {
        arg += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  identity_->expires_at.time_since_epoch())
                                  .count());
    } else {
        arg += "null";
    }
    arg += '}';
    ack(*ack_id, arg);
}

void ChatSocket::send_connect() {
    session_.send(text_frame(socketio::encode_connect(
        kMainNamespace, sid_,
        pid_.empty() ? std::nullopt : std::optional<std::string_view>(pid_))));
}

void ChatSocket::connect_afresh() {
    // As socket.io when it cannot restore a session: a new private id, so
    // `socket.recovered` is false on the client, and nothing replayed.
    shared_.recovery.remove_live(pid_, &session_);
    pid_ = shared_.tokens.issue({sid_, room_, user_, now_ms()});
    shared_.recovery.add_live(pid_, session_.shared_from_this());
    send_connect();
}

void ChatSocket::deliver(const std::shared_ptr<const Broadcast>& broadcast) {
    if (recovery_.intercept(broadcast)) return;
    session_.send(broadcast->frames);
}

void ChatSocket::on_event(const socketio::Packet& packet, std::vector<std::string> attachments) {
    const auto name = packet.event_name();
    if (json::string_equals(name, socketio::kMessageEvent)) {
        if (permitted(sdk::Permission::publish, packet.id)) {
            on_message(packet, std::move(attachments));
        }
    } else if (json::string_equals(name, "history")) {
        if (permitted(sdk::Permission::history, packet.id)) on_history(packet);
    } else if (json::string_equals(name, "presence")) {
        if (permitted(sdk::Permission::presence, packet.id)) on_presence(packet);
    } else if (json::string_equals(name, "refresh")) {
        on_refresh(packet);
    } else {
        ack_error(packet.id, "unknown event");
    }
}

void ChatSocket::on_message(const socketio::Packet& packet, std::vector<std::string> attachments) {
    const auto args = packet.args();
    if (args.empty() || socketio::check_client_message(args.front())) {
        ack_error(packet.id, "message must be a JSON object");
        return;
    }
    // One object carries everything, binary data included (as its members): an
    // argument beside it would be acked and then lost to receivers and history.
    if (args.size() > 1) {
        ack_error(packet.id,
                  "message takes one argument, a JSON object; put binary data inside it");
        return;
    }
    if (shared_.stopping) {
        ack_error(packet.id, "server is shutting down");
        return;
    }
    shared_.telemetry.messages_received.add();
    shared_.publishes_in_flight.fetch_add(1);
    sdk::Message msg;
    msg.room = room_;
    msg.sender = sid_;
    msg.user = user_;
    msg.remote_address = session_.remote_address();
    msg.payload_json = std::string(args.front());
    msg.attachments = std::move(attachments);
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto executor = session_.executor();
    const auto ack_id = packet.id;
    auto& in_flight = shared_.publishes_in_flight;
    shared_.inbound->publish(
        std::move(msg), [weak, executor, ack_id, &in_flight](const sdk::Published& result) {
            if (!ack_id) {
                in_flight.fetch_sub(1);
                return;
            }
            boost::asio::post(
                executor, [weak, id = *ack_id, arg = socketio::publish_ack(result), &in_flight] {
                    auto session = weak.lock();
                    if (session && !session->closed()) session->chat().ack(id, arg);
                    in_flight.fetch_sub(1);
                });
        });
}

void ChatSocket::on_history(const socketio::Packet& packet) {
    if (!packet.id) return;  // nobody to answer
    sdk::HistoryQuery query;
    query.limit = 50;
    const auto args = packet.args();
    if (!args.empty() && json::kind_of(args.front()) == json::Kind::object) {
        if (auto limit = integer_member(args.front(), "limit")) query.limit = *limit;
        query.before_id = socketio::string_member(args.front(), "before").value_or("");
        query.after_id = socketio::string_member(args.front(), "after").value_or("");
    }
    query.limit = std::clamp<std::size_t>(query.limit, 1, shared_.options.history_max);
    if (!history_in_flight_) {
        start_history(*packet.id, query);
    } else if (history_waiting_.size() < kMaxWaitingHistory) {
        history_waiting_.push_back({*packet.id, std::move(query)});
    } else {
        ack_error(packet.id, "too many history requests at once; wait for their acks");
    }
}

void ChatSocket::start_history(std::uint64_t ack_id, const sdk::HistoryQuery& query) {
    history_in_flight_ = true;
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto executor = session_.executor();
    shared_.inbound->history(
        room_, query,
        [weak, executor, ack_id, query](std::error_code ec, std::vector<sdk::Message> messages) {
            // The page is cut where the client's outbound queue is known.
            boost::asio::post(
                executor, [weak, ack_id, query, ec, messages = std::move(messages)]() mutable {
                    auto session = weak.lock();
                    if (session && !session->closed()) {
                        session->chat().answer_history(ack_id, query, ec, std::move(messages));
                    }
                });
        });
}

void ChatSocket::answer_history(std::uint64_t ack_id, const sdk::HistoryQuery& query,
                                std::error_code ec, std::vector<sdk::Message> messages) {
    history_in_flight_ = false;
    if (ec) {
        ack_error(ack_id, sdk::same_error(ec, sdk::Errc::not_supported)
                              ? "history is not available (no store configured)"
                              : "history failed: " + ec.message());
    } else {
        // The page fits the budget and what the client may still queue, so asking
        // never drops a client; the second argument (its cursor) is counted too.
        const auto keep = socketio::page_end_for(!query.after_id.empty());
        std::size_t cursor_bytes =
            std::max(json::quoted_size(query.before_id), json::quoted_size(query.after_id));
        std::vector<std::size_t> sizes;
        sizes.reserve(messages.size());
        for (const auto& m : messages) {
            sizes.push_back(socketio::history_entry_bytes(m, sizeof(OutFrame)));
            cursor_bytes = std::max(cursor_bytes, json::quoted_size(m.id));
        }
        const std::size_t overhead = kAckOverhead + kMoreObjectOverhead + cursor_bytes;
        const std::size_t room =
            minus(shared_.options.max_queued_bytes, session_.queued_bytes() + overhead);
        const std::size_t budget =
            std::min(minus(shared_.options.history_max_bytes, overhead), room);
        const auto cut = socketio::cut_history_page(sizes, keep, budget, room);
        const std::span<sdk::Message> page(messages.data() + cut.first, cut.count);
        std::string array;
        std::vector<std::string> attachments;
        socketio::append_history_array(array, page, attachments);
        if (!cut.more) {
            ack(ack_id, array, std::move(attachments));
        } else {
            // Where the next query goes on from: the page's far end, or, for an empty
            // page, the query's own cursor (ask again once the queue has drained).
            std::string_view cursor =
                keep == socketio::PageEnd::newest ? query.before_id : query.after_id;
            if (!page.empty())
                cursor = keep == socketio::PageEnd::newest ? page.front().id : page.back().id;
            const std::string more = socketio::history_more_object(keep, cursor);
            const std::array<std::string_view, 2> args = {array, more};
            ack(ack_id, args, std::move(attachments));
        }
    }
    if (!history_waiting_.empty() && connected_) {
        auto next = std::move(history_waiting_.front());
        history_waiting_.pop_front();
        start_history(next.ack_id, next.query);
    }
}

void ChatSocket::on_presence(const socketio::Packet& packet) {
    if (!packet.id) return;
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto executor = session_.executor();
    shared_.inbound->members(
        room_, [weak, executor, id = *packet.id](std::error_code ec,
                                                 const std::vector<sdk::Member>& members) {
            std::string arg;
            if (ec) {
                arg = error_object("presence failed: " + ec.message());
            } else {
                arg = "[";
                for (const auto& m : members) {
                    if (arg.size() > 1) arg += ',';
                    arg += member_object(m);
                }
                arg += ']';
            }
            boost::asio::post(executor, [weak, id, arg = std::move(arg)] {
                auto session = weak.lock();
                if (session && !session->closed()) session->chat().ack(id, arg);
            });
        });
}

void ChatSocket::ack(std::uint64_t id, std::string_view json_arg,
                     std::vector<std::string> attachments) {
    const std::array<std::string_view, 1> args = {json_arg};
    ack(id, args, std::move(attachments));
}

void ChatSocket::ack(std::uint64_t id, std::span<const std::string_view> args,
                     std::vector<std::string> attachments) {
    session_.send(text_frame(socketio::encode_ack(kMainNamespace, id, args,
                                                  static_cast<std::uint32_t>(attachments.size()))));
    for (auto& attachment : attachments) {
        session_.send(OutFrame{std::make_shared<const std::string>(std::move(attachment)), true});
    }
}

void ChatSocket::ack_error(std::optional<std::uint64_t> id, std::string_view error) {
    if (id) ack(*id, error_object(error));
}

void ChatSocket::fail(std::error_code ec, std::string_view what) {
    shared_.telemetry.bad_packets.add();
    if (shared_.telemetry.log.enabled(sdk::LogLevel::debug)) {
        shared_.telemetry.log.debug("closing session " + session_.sid() + ": " + std::string(what) +
                                    ": " + ec.message());
    }
    session_.close("parse error", false);
}

bool ChatSocket::matches(const sdk::DisconnectTarget& target) const {
    if (!connected_) return false;
    if (!target.room.empty() && target.room != room_) return false;
    if (!target.sid.empty()) return target.sid == sid_;
    if (target.user.empty()) return false;
    return target.user == user_ || (identity_ && target.user == identity_->user_id);
}

void ChatSocket::disconnect_by_server(bool allow_reconnect) {
    if (allow_reconnect) {
        // The transport closes as in a network failure or a node's stop: socket.io-client
        // reports "transport close" and reconnects, recovering its session.
        session_.close(kServerDisconnectReconnect);
        return;
    }
    // As socket.io's `socket.disconnect()` on the server: the client gets "io server
    // disconnect" and does not reconnect by itself; its pid stays refused here.
    session_.send(text_frame(socketio::encode_disconnect(kMainNamespace)));
    session_.close(kServerDisconnectFinal);
}

void ChatSocket::on_close(std::string_view reason) {
    decoder_.reset();
    recovery_.reset();
    history_waiting_.clear();
    if (expiry_timer_) expiry_timer_->cancel();
    if (!connected_) return;
    connected_ = false;
    if (joined_room_) {
        shard_.leave(session_);
        joined_room_ = false;
    }
    shared_.inbound->leave({room_, sid_, user_, shared_.node_id, joined_ms_},
                           [](std::error_code) {});
    if (!pid_.empty()) shared_.recovery.remove_live(pid_, &session_);
    // A session closed for good is remembered too: its pid is a token other nodes
    // would honour, and this node knows better.
    if (!pid_.empty() && !shared_.stopping) {
        shared_.recovery.remember(
            pid_,
            {sid_, room_, user_, std::chrono::steady_clock::now() + shared_.options.recovery_window,
             recoverable(reason)});
    }
}

}  // namespace relay::plugins::websocket
