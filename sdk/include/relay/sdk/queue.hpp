#pragma once
#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/error.hpp>
#include <relay/sdk/message.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::sdk {

/// `error` empty: durable at `position`. Otherwise the message was not accepted.
using PublishDone = std::function<void(std::error_code error, std::string position)>;
/// Called for every message, in per-room order, on every node.
using BroadcastHandler = std::function<void(const Message&)>;
/// Called with a batch for the store. The handler calls `commit` exactly once: with
/// success after the batch is stored (the queue may then forget it), or with an
/// error to have the same messages delivered again later.
using StoreHandler = std::function<void(std::vector<Message> batch, Done commit)>;
using ReadDone = std::function<void(std::error_code, std::vector<Message>)>;

/// Durable, per-room ordered log of chat messages between accept and broadcast/store.
/// Lifecycle: subscribe_*() before start(); publish() after start() completed; no
/// callback fires after stop() completed.
/// Thread safety: publish() and read_after() may be called from any host thread.
/// Callbacks run on the plugin's executor. Nothing here throws.
class Queue {
public:
    virtual ~Queue() = default;

    virtual void subscribe_broadcast(BroadcastHandler handler) = 0;
    virtual void subscribe_store(StoreHandler handler) = 0;

    virtual void start(Done done) = 0;
    /// Appends `msg` (keyed by its room). `done` runs exactly once: after the message
    /// is durable, or with the error that prevented it (Errc::queue_full when full).
    virtual void publish(Message msg, PublishDone done) = 0;
    /// Messages of `room` after the message `after_id`, in log order, at most `limit`:
    /// connection state recovery from the log when there is no store. `after_id` is a
    /// message id as the host made it (a ULID, time first), not a queue position. An id
    /// the queue does not hold (never published, another room's, no longer retained)
    /// is an error, never an empty answer: the client then is not recovered.
    /// Optional: the default answers Errc::not_supported, inline.
    virtual void read_after(
        std::string_view /*room*/, std::string_view /*after_id*/, std::size_t /*limit*/,
        ReadDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), {});
    }
    /// Stops taking publishes, delivers what was accepted to the subscribers and
    /// waits for the store subscription's commits (bounded by the plugin's drain
    /// timeout: PluginContext::drain_timeout()), then completes.
    virtual void stop(Done done) = 0;
};

}  // namespace relay::sdk
