#include "server/engine_session.hpp"

#include "engineio/packet.hpp"
#include "server/chat_socket.hpp"
#include "server/session_registry.hpp"
#include "server/shard.hpp"
#include "server/telemetry.hpp"
#include "server/websocket_link.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <array>
#include <vector>

namespace relay::plugins::websocket {

namespace {

const OutFrame& ping_frame() {
    static const OutFrame frame = text_frame("2");
    return frame;
}
const OutFrame& noop_frame() {
    static const OutFrame frame = text_frame("6");
    return frame;
}

/// Whether a polling body holds the client's close packet.
bool is_close_payload(std::string_view body) {
    std::vector<engineio::Frame> frames;
    std::string storage;
    if (engineio::decode_payload(body, frames, storage)) return false;
    return std::any_of(frames.begin(), frames.end(), [](const engineio::Frame& f) {
        return !f.binary && f.bytes == engineio::encode_packet(engineio::PacketType::close);
    });
}

/// How long a polling session whose close packet went out stays findable. The client
/// may have POSTs in flight, sent before it read the close: a 400 for them is a
/// "transport error" if the client reads that answer before the close packet (two
/// connections, no order between them). During this time they get 200 and are
/// ignored, so the client sees "transport close". Sent before the client read the
/// close, they are already in our socket buffers: a short time is enough.
constexpr std::chrono::milliseconds kCloseLinger{500};

std::size_t frame_cost(const OutFrame& frame) {
    // What a queued frame holds on to: its bytes (shared, but kept alive by us) and
    // the queue slot.
    return frame.bytes->size() + sizeof(OutFrame);
}

}  // namespace

EngineSession::EngineSession(const SessionShared& shared, Shard& shard, std::string sid,
                             OpeningRequest opening)
    : shared_(shared),
      live_(shared.live_sessions),
      sessions_gauge_(shared.telemetry.sessions),
      shard_(shard),
      sid_(std::move(sid)),
      upgrade_timer_(shard.executor()),
      timer_(shard.executor()),
      opened_at_(std::chrono::steady_clock::now()) {
    chat_ = std::make_unique<ChatSocket>(shared_.chat, *this, shard_, std::move(opening));
    sessions_gauge_.add();
    live_->fetch_add(1);
}

EngineSession::~EngineSession() {
    // The transport (and shared_) may be gone: a session whose last handler is
    // destroyed with the io_context at shutdown. Touch only what outlives it.
    sessions_gauge_.sub();
    live_->fetch_sub(1);
}

sdk::Executor EngineSession::executor() const {
    return shard_.executor();
}

std::string EngineSession::open_polling() {
    shared_.registry.add(sid_, shared_from_this());
    shard_.add(shared_from_this());
    arm_ping();
    const std::array<std::string_view, 1> upgrades = {"websocket"};
    engineio::OpenParams params;
    params.sid = sid_;
    params.upgrades = shared_.options.offer_upgrade ? std::span<const std::string_view>(upgrades)
                                                    : std::span<const std::string_view>();
    params.ping_interval_ms = static_cast<std::uint64_t>(shared_.options.ping_interval.count());
    params.ping_timeout_ms = static_cast<std::uint64_t>(shared_.options.ping_timeout.count());
    params.max_payload = shared_.options.max_payload;
    return engineio::encode_open(params);
}

void EngineSession::open_websocket(const std::shared_ptr<WebSocketLink>& link) {
    shared_.registry.add(sid_, shared_from_this());
    shard_.add(shared_from_this());
    ws_ = link;
    engineio::OpenParams params;
    params.sid = sid_;
    params.ping_interval_ms = static_cast<std::uint64_t>(shared_.options.ping_interval.count());
    params.ping_timeout_ms = static_cast<std::uint64_t>(shared_.options.ping_timeout.count());
    params.max_payload = shared_.options.max_payload;
    link->start(shared_from_this());
    send(text_frame(engineio::encode_open(params)));
    arm_ping();
}

std::optional<engineio::HttpError> EngineSession::poll(PollWaiter waiter) {
    if (closed_) {
        // Gone for the client, as engine.io forgets a closed socket (this GET found it
        // just before it went).
        if (!draining_) return engineio::HttpError::unknown_sid;
        // A closed session draining (see close()): its queued frames, then, in a GET
        // of its own, the close packet.
        if (!outbox_.empty()) {
            waiter(take_payload());
            return std::nullopt;
        }
        waiter(engineio::encode_packet(engineio::PacketType::close));
        if (!lingering_) linger_after_close();  // the linger is not extended by GETs
        return std::nullopt;
    }
    // Upgraded: polling is over for this session. Answering (rather than holding the
    // GET, which nothing would ever release) lets a stale or confused client move on.
    if (ws_) return engineio::HttpError::bad_request;
    if (waiter_) {
        // Two GETs at once: the reference server closes the session; the waiting GET
        // gets the close packet.
        close("overlapping polls", false);
        return engineio::HttpError::bad_request;
    }
    waiter_ = std::move(waiter);
    if (probed_ && outbox_.empty()) {
        // An upgrade is under way: the client pauses polling once its GETs are answered,
        // and only then sends `5` (engine.io's "fast upgrade" noop).
        release_poll();
        return std::nullopt;
    }
    flush();
    return std::nullopt;
}

void EngineSession::on_poll_hangup() {
    // After the upgrade the polling connection is the client's to drop; engine.io
    // ignores what happens to a discarded polling transport too.
    if (ws_) return;
    close("transport close", false);
}

void EngineSession::release_poll() {
    if (!waiter_) return;
    auto waiter = std::move(waiter_);
    waiter_ = nullptr;
    waiter(std::string(*noop_frame().bytes));
}

void EngineSession::end_probe() {
    probing_ = nullptr;
    probed_ = false;
    upgrade_timer_.cancel();
}

std::optional<engineio::HttpError> EngineSession::receive_polling(std::string_view body) {
    if (closed_) {
        if (!draining_) return engineio::HttpError::unknown_sid;  // see poll()
        // A closing session that still drains its last frames ignores what arrives, as
        // engine.io does; the client learns of the close from its next GET. The client
        // may be closing too (its `1`): nothing is left for it but the close packet, so
        // the session need not wait for another GET. Anything else (a message sent
        // before it saw the close) leaves the session for that GET, or it would get a
        // 400 ("transport error") instead of the close packet.
        if (outbox_.empty() && is_close_payload(body)) end_drain();
        return std::nullopt;
    }
    // Upgraded: a POST is a transport mismatch (engine.io answers 400); the WebSocket
    // is not the POST's to disturb.
    if (ws_) return engineio::HttpError::bad_request;
    std::vector<engineio::Frame> frames;
    std::string storage;
    if (auto ec = engineio::decode_payload(body, frames, storage)) {
        fail(ec, "bad polling payload");
        return engineio::HttpError::bad_request;
    }
    for (const auto& frame : frames) {
        engineio::Packet packet;
        if (auto ec = engineio::decode_frame(frame, packet, scratch_)) {
            fail(ec, "bad Engine.IO packet");
            return engineio::HttpError::bad_request;
        }
        on_packet(packet, true);
        if (closed_) {
            // The body ended the session: its own close or disconnect is fine (200); a
            // packet the Socket.IO layer refused is the same error as a bad record.
            if (broke_protocol_) return engineio::HttpError::bad_request;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

void EngineSession::begin_upgrade(const std::shared_ptr<WebSocketLink>& link) {
    if (closed_ || ws_ || probing_) {
        link->close();
        return;
    }
    probing_ = link;
    link->start(shared_from_this());
    // A client that opens the upgrade's WebSocket but never completes the upgrade
    // loses it after handshake_timeout; polling goes on.
    upgrade_timer_.expires_after(shared_.options.handshake_timeout);
    upgrade_timer_.async_wait([weak = weak_from_this(), link](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->probing_ != link) return;
        self->end_probe();
        link->close();
    });
}

void EngineSession::receive_websocket(WebSocketLink* link, std::string_view data, bool binary) {
    if (closed_) return;
    engineio::Packet packet;
    if (auto ec = engineio::decode_frame({data, binary}, packet, scratch_)) {
        fail(ec, "bad Engine.IO packet");
        return;
    }
    if (link == probing_.get()) {
        // The upgrade handshake: 2probe → 3probe, then 5 switches the transport.
        if (packet.type == engineio::PacketType::ping && packet.data == "probe") {
            probing_->write(text_frame("3probe"), [](std::error_code) {});
            // Answer a waiting GET (and any later one, see poll()) so the client's
            // polling pauses and it can send `5`.
            probed_ = true;
            if (outbox_.empty()) release_poll();
        } else if (packet.type == engineio::PacketType::upgrade) {
            ws_ = std::move(probing_);
            end_probe();
            release_poll();
            flush();
        } else {
            fail(make_error_code(sdk::Errc::invalid_argument), "unexpected packet during upgrade");
        }
        return;
    }
    if (link != ws_.get()) return;
    on_packet(packet, false);
}

void EngineSession::on_ws_closed(WebSocketLink* link, std::error_code) {
    if (link == probing_.get()) {
        end_probe();  // a failed upgrade: polling goes on
        return;
    }
    if (link == ws_.get()) close("transport close");
}

void EngineSession::on_packet(const engineio::Packet& packet, bool from_polling) {
    using engineio::PacketType;
    switch (packet.type) {
        case PacketType::pong:
            awaiting_pong_ = false;
            arm_ping();
            break;
        case PacketType::ping:  // not sent by v4 clients outside a probe; answer anyway
            send(text_frame(engineio::encode_packet(PacketType::pong, packet.data)));
            break;
        case PacketType::message:
            if (packet.binary) {
                chat_->receive_binary(packet.data);
            } else {
                chat_->receive_text(packet.data);
            }
            break;
        case PacketType::close:
            if (from_polling) {
                // engine.io's polling transport answers a waiting GET with a noop and
                // drops what was queued: the client is closing and reads nothing more.
                release_poll();
                close("client close", false);
            } else {
                close("client close");
            }
            break;
        case PacketType::noop: break;
        case PacketType::open:
        case PacketType::upgrade:
            fail(make_error_code(sdk::Errc::invalid_argument), "unexpected Engine.IO packet");
            break;
    }
}

void EngineSession::send(const OutFrame& frame) {
    if (closed_) return;
    outbox_.push_back(frame);
    outbox_bytes_ += frame_cost(frame);
    if (outbox_bytes_ > shared_.options.max_queued_bytes) {
        drop_slow_consumer(outbox_bytes_);
        return;
    }
    flush();
}

void EngineSession::drop_slow_consumer(std::size_t queued) {
    if (drop_scheduled_ || closed_) return;
    drop_scheduled_ = true;
    shared_.telemetry.slow_consumers.add();
    shared_.telemetry.log.warn("dropping slow client " + sid_ + ": " + std::to_string(queued) +
                               " bytes queued (transport.max_queued_bytes = " +
                               std::to_string(shared_.options.max_queued_bytes) + ")");
    boost::asio::post(executor(),
                      [self = shared_from_this()] { self->close("slow consumer", false); });
}

void EngineSession::send(const std::vector<OutFrame>& frames) {
    for (const auto& frame : frames) send(frame);
}

void EngineSession::flush() {
    if (outbox_.empty() || closed_) return;
    if (ws_) {
        if (!writing_) write_next();
        return;
    }
    if (!waiter_) return;
    auto waiter = std::move(waiter_);
    waiter_ = nullptr;
    waiter(take_payload());
}

void EngineSession::write_next() {
    if (outbox_.empty()) {
        writing_ = false;
        if (closed_) ws_->close();  // the last frames of a closing session are out
        return;
    }
    writing_ = true;
    // Everything queued meanwhile goes in one gathered write.
    writing_count_ = std::min(outbox_.size(), WebSocketLink::kMaxFramesPerWrite);
    ws_->write(outbox_, writing_count_, [self = shared_from_this()](std::error_code ec) {
        if (ec) {
            self->writing_ = false;
            self->close("transport error", false);
            return;
        }
        for (std::size_t i = 0; i < self->writing_count_; ++i) {
            self->outbox_bytes_ -= frame_cost(self->outbox_.front());
            self->outbox_.pop_front();
        }
        self->writing_count_ = 0;
        self->write_next();
    });
}

void EngineSession::arm_ping() {
    arm_timer(TimerDue::ping, std::chrono::steady_clock::now() + shared_.options.ping_interval,
              ++timer_generation_);
}

void EngineSession::arm_timer(TimerDue due, TimePoint at, std::uint64_t generation) {
    // Until the client's CONNECT the timer wakes at connect_timeout too, if that comes
    // first: waiting for the next ping to look would make it late by up to a ping
    // interval.
    auto wake_at = at;
    if (!chat_->connected()) {
        wake_at = std::min(wake_at, opened_at_ + shared_.options.connect_timeout);
    }
    timer_.expires_at(wake_at);
    timer_.async_wait(
        [self = shared_from_this(), due, at, generation](const boost::system::error_code& ec) {
            if (ec || self->closed_ || generation != self->timer_generation_) return;
            self->on_timer(due, at, generation);
        });
}

void EngineSession::on_timer(TimerDue due, TimePoint at, std::uint64_t generation) {
    const auto now = std::chrono::steady_clock::now();
    if (!chat_->connected() && now >= opened_at_ + shared_.options.connect_timeout) {
        close("connect timeout");
        return;
    }
    if (now < at) {  // woke for connect_timeout, but the client connected in time
        arm_timer(due, at, generation);
        return;
    }
    if (due == TimerDue::pong) {
        // The client did not answer: its queued frames are dropped (engine.io's
        // onClose), and a later request for this sid gets 400, not stale frames.
        if (awaiting_pong_) close("ping timeout", false);
        return;
    }
    awaiting_pong_ = true;
    send(ping_frame());
    arm_timer(TimerDue::pong, now + shared_.options.ping_timeout, ++timer_generation_);
}

void EngineSession::fail(std::error_code ec, std::string_view what) {
    shared_.telemetry.bad_packets.add();
    if (shared_.telemetry.log.enabled(sdk::LogLevel::debug)) {
        shared_.telemetry.log.debug("closing session " + sid_ + ": " + std::string(what) + ": " +
                                    ec.message());
    }
    close("parse error", false);
}

std::string EngineSession::take_payload() {
    std::vector<engineio::Frame> frames;
    frames.reserve(outbox_.size());
    for (const auto& f : outbox_) frames.push_back({*f.bytes, f.binary});
    std::string payload = engineio::encode_payload(frames);
    outbox_.clear();
    outbox_bytes_ = 0;
    return payload;
}

void EngineSession::linger_after_close() {
    draining_ = true;
    lingering_ = true;
    timer_.expires_after(kCloseLinger);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        // Cancelled: the drain ended, or moved on to its linger.
        if (ec != boost::asio::error::operation_aborted) self->end_drain();
    });
}

void EngineSession::end_drain() {
    if (!draining_) return;
    draining_ = false;
    timer_.cancel();
    outbox_.clear();
    outbox_bytes_ = 0;
    shared_.registry.remove(sid_);
}

void EngineSession::close(std::string_view reason, bool flush_queued) {
    if (closed_) return;
    closed_ = true;
    // The shard may hold the last reference: this one lasts to the end of close().
    const auto self = shared_from_this();
    // The client broke the protocol: a POST that did it gets 400, and no linger after
    // the close packet (its further requests get 400 at once, as from engine.io).
    broke_protocol_ = reason == "parse error" || reason == "overlapping polls";
    address_lease_.release();
    ++timer_generation_;
    timer_.cancel();
    upgrade_timer_.cancel();
    chat_->on_close(reason);
    if (!flush_queued) {
        // Keep only the frames being written (their buffers live until it completes).
        while (outbox_.size() > (writing_ ? writing_count_ : 0U)) {
            outbox_bytes_ -= frame_cost(outbox_.back());
            outbox_.pop_back();
        }
    }
    if (ws_) {
        shared_.registry.remove(sid_);
        // Frames already queued (a DISCONNECT on stop, say) go out before the close
        // frame: write_next() closes the link when the queue is empty.
        if (!writing_) write_next();
    } else if (!outbox_.empty() || (!waiter_ && shared_.stopping)) {
        // Polling: the queued frames (acks, a DISCONNECT) go in one response and the
        // close packet in the next, as engine.io does: socket.io-client handles a
        // DISCONNECT a tick after its transport closes, so sent together the client
        // would see "transport close" instead. On a stop with no GET waiting, the next
        // one gets the close packet, so the client sees "transport close" and
        // reconnects elsewhere (a GET for a forgotten session would get a 400:
        // "transport error"). The session stays findable for those GETs until
        // handshake_timeout; this timer keeps it alive.
        if (waiter_) {
            auto waiter = std::move(waiter_);
            waiter_ = nullptr;
            waiter(take_payload());
        }
        draining_ = true;
        timer_.expires_after(shared_.options.handshake_timeout);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            // Cancelled: the drain ended, or moved on to its linger.
            if (ec != boost::asio::error::operation_aborted) self->end_drain();
        });
    } else if (waiter_) {
        auto waiter = std::move(waiter_);
        waiter_ = nullptr;
        waiter(engineio::encode_packet(engineio::PacketType::close));
        if (broke_protocol_) {
            shared_.registry.remove(sid_);
        } else {
            linger_after_close();
        }
    } else {
        shared_.registry.remove(sid_);
    }
    if (probing_) probing_->close();
    shard_.remove(*this);
}

}  // namespace relay::plugins::websocket
