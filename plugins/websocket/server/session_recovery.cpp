#include "server/session_recovery.hpp"

#include "server/chat_socket.hpp"
#include "server/engine_session.hpp"
#include "server/shard.hpp"
#include "server/telemetry.hpp"
#include "server/wall_clock.hpp"
#include "socketio/chat.hpp"
#include "socketio/encode.hpp"
#include "socketio/history_page.hpp"

#include <relay/sdk/message_id.hpp>

#include <algorithm>

namespace relay::plugins::websocket {

void SessionRecovery::start(const std::string& offset) {
    const std::string& room = chat_.room();
    // Usually the offset is among this thread's recent messages: what came after it is
    // sent now, in the task that put the socket back in its room, so every message is
    // either replayed here or delivered live after, once and in order.
    if (auto missed = shard_.recent_after(room, offset)) {
        // A socket never gets its own messages back, recovered or not.
        std::erase_if(*missed,
                      [&](const auto& broadcast) { return broadcast->sender == chat_.sid(); });
        std::size_t bytes = 0;
        for (const auto& broadcast : *missed) {
            for (const auto& frame : broadcast->frames) bytes += frame.bytes->size();
        }
        if (bytes > shared_.options.history_max_bytes) {
            // Sent at once, this much could pass what the client may queue and drop it,
            // and again on every reconnect: it connects afresh and pages the history.
            log_not_recovered(bytes);
            chat_.connect_afresh();
            return;
        }
        chat_.send_connect();
        for (const auto& broadcast : *missed) session_.send(broadcast->frames);
        return;
    }
    // An offset older than the recent messages: the store has it. Or, on a node other
    // than the client's last one, an offset newer than what this node has delivered
    // yet: it is on its way here, and what follows it will be delivered live. Live
    // broadcasts wait in held_ meanwhile, and the store is read until it has caught up
    // with the newest message delivered here (it is written after the queue acks and
    // broadcasts), or the offset arrived live.
    active_ = true;
    offset_ = offset;
    const std::string until = shard_.newest_id(room);
    // Nothing of the room delivered here yet, or only older messages: this node's
    // broadcast subscription is behind the client's last node, and what the client had
    // may still come in live (see RecoveryOverlap).
    behind_ = until.empty() || until < offset;
    // With nothing of the room delivered here, an offset accepted moments ago is most
    // likely on its way: its coming in live answers the recovery exactly (see
    // finish()), so it is waited for a while; an older one is answered at once.
    const auto offset_ms = sdk::message_id_time(offset).value_or(0);
    awaits_offset_ = until.empty() && now_ms() - offset_ms < kStoreCatchUp.count();
    if (shared_.telemetry.log.enabled(sdk::LogLevel::debug)) {
        shared_.telemetry.log.debug("recovering " + chat_.sid() + " from the store: after " +
                                    offset + (until.empty() ? std::string() : ", up to " + until));
    }
    read_missed(offset, until, std::chrono::steady_clock::now() + kStoreCatchUp);
}

void SessionRecovery::read_missed(std::string offset, std::string until,
                                  std::chrono::steady_clock::time_point deadline) {
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto here = session_.executor();
    auto done = [weak, here, offset, until, deadline](std::error_code ec,
                                                      std::vector<sdk::Message> stored) mutable {
        boost::asio::post(here, [weak, offset = std::move(offset), until = std::move(until),
                                 deadline, ec, stored = std::move(stored)] {
            auto session = weak.lock();
            if (!session || session->closed()) return;
            session->chat().recovery().on_read(until, deadline, ec, stored, offset);
        });
    };
    shared_.inbound->recover(chat_.room(), offset, std::move(done));
}

void SessionRecovery::on_read(const std::string& until,
                              std::chrono::steady_clock::time_point deadline, std::error_code ec,
                              const std::vector<sdk::Message>& stored, const std::string& offset) {
    if (!active_) return;  // given up meanwhile (see intercept())
    const bool has_until = until.empty()
                               ? !awaits_offset_
                               : std::any_of(stored.begin(), stored.end(),
                                             [&](const sdk::Message& m) { return m.id == until; });
    const bool caught_up = has_until || held_offset();
    if (ec || caught_up || std::chrono::steady_clock::now() >= deadline) {
        // Without the newest message delivered here the answer may have a gap: then
        // the client is told it was not recovered. With none delivered here, an offset
        // that did not come in live in time leaves the store's answer as the best
        // there is.
        finish(stored, !ec && (caught_up || until.empty()));
        return;
    }
    std::weak_ptr<EngineSession> weak = session_.weak_from_this();
    auto timer = std::make_shared<boost::asio::steady_timer>(session_.executor(), kStoreRetryDelay);
    timer->async_wait([weak, timer, offset = std::string(offset), until = std::string(until),
                       deadline](const boost::system::error_code&) mutable {
        auto session = weak.lock();
        if (!session || session->closed()) return;
        session->chat().recovery().read_missed(std::move(offset), std::move(until), deadline);
    });
}

void SessionRecovery::finish(const std::vector<sdk::Message>& stored, bool complete) {
    active_ = false;
    held_bytes_ = 0;
    auto held = std::move(held_);
    held_.clear();
    const std::string offset = std::move(offset_);
    offset_.clear();
    // The offset came in live: every node delivers a room's messages in the queue's
    // order, so the client had what came before it and gets what follows it here, held
    // or live. The store's answer, ordered by id rather than as the queue appended,
    // is not needed (across nodes the two orders differ: it would repeat or miss some).
    const auto offset_at =
        std::find_if(held.begin(), held.end(), [&](const auto& b) { return b->id == offset; });
    if (offset_at != held.end()) {
        chat_.send_connect();
        for (auto it = offset_at + 1; it != held.end(); ++it) session_.send((*it)->frames);
        return;
    }
    const std::string& sid = chat_.sid();
    if (complete) {
        std::size_t bytes = 0;
        for (const auto& msg : stored) {
            if (msg.sender != sid) bytes += socketio::history_entry_bytes(msg, sizeof(OutFrame));
        }
        if (bytes > shared_.options.history_max_bytes) {
            log_not_recovered(bytes);
            complete = false;
        }
    } else if (shared_.telemetry.log.enabled(sdk::LogLevel::debug)) {
        shared_.telemetry.log.debug("could not recover " + sid +
                                    " completely; connecting it afresh");
    }
    if (complete) {
        chat_.send_connect();
    } else {
        chat_.connect_afresh();
    }
    static const std::vector<sdk::Message> kNothing;
    std::vector<std::string_view> sent;
    std::string frame;
    for (const auto& msg : complete ? stored : kNothing) {
        // A socket never gets its own messages back, recovered or not.
        if (msg.sender == sid) continue;
        if (socketio::encode_message_broadcast(
                frame, ChatSocket::kMainNamespace, msg.payload_json,
                {msg.id, msg.room, msg.ts_ms, msg.sender, msg.user}, std::string_view(msg.id),
                static_cast<std::uint32_t>(msg.attachments.size()))) {
            continue;
        }
        session_.send(text_frame(frame));
        for (const auto& attachment : msg.attachments) {
            session_.send(OutFrame{std::make_shared<const std::string>(attachment), true});
        }
        sent.push_back(msg.id);
    }
    // Live messages held meanwhile, and those still to come from a subscription that
    // is behind, may repeat what the client had or what was just sent.
    const auto now = std::chrono::steady_clock::now();
    RecoveryOverlap overlap(complete && behind_ ? offset : std::string(), sent,
                            now + shared_.options.recovery_window);
    for (const auto& broadcast : held) {
        if (!overlap.skip(broadcast->id, now)) session_.send(broadcast->frames);
    }
    // Only a subscription that is behind brings them again after the held ones.
    overlap_ = behind_ ? std::move(overlap) : RecoveryOverlap();
}

bool SessionRecovery::intercept(const std::shared_ptr<const Broadcast>& broadcast) {
    if (active_) {
        held_.push_back(broadcast);
        for (const auto& frame : broadcast->frames) held_bytes_ += frame.bytes->size();
        // The outbound bound holds while recovering too: what is held and the missed
        // messages (up to history_max_bytes) go out together. Past it the recovery is
        // given up rather than the client dropped: it connects afresh, the live
        // messages flow from now on, and what it missed is in the history.
        if (held_bytes_ + shared_.options.history_max_bytes > shared_.options.max_queued_bytes) {
            log_not_recovered(held_bytes_);
            reset();
            chat_.connect_afresh();
        }
        return true;
    }
    return overlap_.active() && overlap_.skip(broadcast->id, std::chrono::steady_clock::now());
}

void SessionRecovery::reset() {
    active_ = false;
    held_.clear();
    held_bytes_ = 0;
    offset_.clear();
    overlap_ = RecoveryOverlap();
}

bool SessionRecovery::held_offset() const {
    return std::any_of(held_.begin(), held_.end(), [&](const auto& b) { return b->id == offset_; });
}

void SessionRecovery::log_not_recovered(std::size_t bytes) const {
    if (shared_.telemetry.log.enabled(sdk::LogLevel::debug)) {
        shared_.telemetry.log.debug(
            "not recovering " + chat_.sid() + ": it missed " + std::to_string(bytes) +
            " bytes (transport.history_max_bytes = " +
            std::to_string(shared_.options.history_max_bytes) + "); connecting it afresh");
    }
}

}  // namespace relay::plugins::websocket
