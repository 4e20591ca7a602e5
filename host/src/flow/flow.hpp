#pragma once
#include "flow/ack_latency.hpp"
#include "flow/busy_rooms.hpp"
#include "flow/unstored_messages.hpp"

#include <relay/sdk/metrics.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/processor.hpp>
#include <relay/sdk/queue.hpp>
#include <relay/sdk/store.hpp>
#include <relay/sdk/transport.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <spdlog/logger.h>

namespace relay::host {

/// The pipeline's data flow (docs/architecture.md): transport → processors → queue.publish →
/// the sender's ack; queue broadcast subscription → transport.broadcast; queue store
/// subscription → store.append → commit. Implements the transport's Inbound.
/// Lifecycle: connect() once before the queue and presence start; begin_shutdown()
/// when the transport has stopped; the transport, queue, presence and store outlive the
/// Flow. The processors and the authenticator are shared: a reload swaps them
/// (replace_processors, replace_auth) while messages and handshakes are under way.
/// Thread safety: the Inbound functions and the replace_ functions may be called from
/// any thread.
class Flow final : public sdk::Inbound {
public:
    /// The processors a message runs through, in pipeline order. Immutable once handed
    /// to the Flow: a message takes the chain once, when it arrives, and finishes with
    /// it even if a reload swaps in another meanwhile; the processors live as long as
    /// a chain holding them does.
    using ProcessorChain = std::vector<std::shared_ptr<sdk::Processor>>;

    struct Parts {
        sdk::Transport* transport = nullptr;
        std::shared_ptr<const ProcessorChain> processors;  ///< null: none
        sdk::Queue* queue = nullptr;
        sdk::Presence* presence = nullptr;
        sdk::Store* store = nullptr;               ///< optional
        std::shared_ptr<sdk::Authenticator> auth;  ///< optional: without one, Identity::open()
    };
    /// How many messages a recovery read returns at most.
    static constexpr std::size_t kRecoveryLimit = 10000;
    /// How long, and within how many bytes, messages acked or broadcast here are kept
    /// for history until the store has them (read-your-writes; see UnstoredMessages).
    static constexpr std::chrono::milliseconds kUnstoredMaxAge{60000};
    static constexpr std::size_t kUnstoredMaxBytes = std::size_t{16} * 1024 * 1024;

    Flow(Parts parts, sdk::Metrics& metrics, std::shared_ptr<spdlog::logger> log);

    /// Subscribes to the queue and presence.
    void connect();
    /// From now on publish() answers Errc::shutting_down; `idle` runs once (on the
    /// thread that finishes the last one, or inline) when no publish is in flight.
    void begin_shutdown(std::function<void()> idle);

    /// Messages that arrive from now on run through `chain` (null: none); those under
    /// way finish with the chain they started with.
    void replace_processors(std::shared_ptr<const ProcessorChain> chain);
    /// Handshakes that start from now on go to `auth` (null: open); those under way
    /// finish with the authenticator they started with.
    void replace_auth(std::shared_ptr<sdk::Authenticator> auth);

    void authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) override;
    void publish(sdk::Message msg, sdk::PublishedDone done) override;
    /// The store's answer, with what this node acked or broadcast and the store does
    /// not have yet: a sender holding its ack finds its message.
    void history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) override;
    /// From the store when there is one, else from the queue's log (Queue::read_after).
    void recover(std::string_view room, std::string_view after_id, sdk::HistoryDone done) override;
    void join(const sdk::Member& member, sdk::Done done) override;
    void leave(const sdk::Member& member, sdk::Done done) override;
    void members(std::string_view room, sdk::MembersDone done) override;

    /// The rooms this node broadcast the most messages to lately (the admin page).
    const BusyRooms& busy_rooms() const { return busy_rooms_; }

private:
    struct Pending;
    void run_processors(std::shared_ptr<Pending> pending);
    void enqueue(std::shared_ptr<Pending> pending);
    void finish(Pending& pending, const sdk::Published& result);
    void on_store_batch(std::vector<sdk::Message> batch, sdk::Done commit);

    Parts parts_;  // its processors and auth are unused: see processors_ and auth_
    std::atomic<std::shared_ptr<const ProcessorChain>> processors_;
    std::atomic<std::shared_ptr<sdk::Authenticator>> auth_;
    std::shared_ptr<spdlog::logger> log_;
    UnstoredMessages unstored_{kUnstoredMaxAge, kUnstoredMaxBytes};
    BusyRooms busy_rooms_;

    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<bool> idle_fired_{false};
    std::mutex idle_mutex_;
    std::function<void()> idle_;
    void maybe_idle();

    sdk::Counter& accepted_;
    sdk::Counter& rejected_;
    sdk::Counter& invalid_after_processing_;
    sdk::Counter& publish_failed_;
    sdk::Counter& broadcast_;
    sdk::Counter& stored_;
    sdk::Counter& store_failed_;
    sdk::Counter& auth_allowed_;
    sdk::Counter& auth_refused_;
    AckLatency ack_latency_;
};

}  // namespace relay::host
