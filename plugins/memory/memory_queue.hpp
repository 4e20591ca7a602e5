#pragma once
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/queue.hpp>

#include <memory>
#include <system_error>

namespace relay::plugins::memory {

/// The memory queue's own errors (category "memory"), for read_after().
enum class QueueErrc {
    /// The message to read after is not among the last `retain` (too old, never
    /// published here, e.g. before a restart, or another room's).
    message_not_retained = 1,
};
const std::error_category& memory_category() noexcept;
std::error_code make_error_code(QueueErrc e) noexcept;

/// An in-process, ordered log: one node, nothing survives a restart.
///
/// Publishing assigns the next sequence number (decimal text) as the position. With a
/// store subscriber and `ack: stored` (the default) the message then waits for the
/// store: once its batch is committed the sender is acked and every broadcast
/// subscriber gets it, in publish order, so an ack means the message is in the store
/// and nothing broadcast can vanish from history in a crash. With `ack: accepted`, or
/// without a store subscriber, publish acks and broadcasts at once. The store
/// subscription gets batches of at most `store_batch_max`, two in flight (group
/// commit: what arrives meanwhile goes in the next one); a failed commit redelivers
/// its messages and all handed after them after `store_retry_delay`. At most `capacity` messages
/// and `max_bytes` bytes wait for their commit; beyond that publish() fails with Errc::queue_full.
/// Without a store subscriber a message counts as committed once broadcast. The last
/// `retain` messages (within `retain_bytes`) serve read_after(room, after_id), which
/// finds the message `after_id` among them.
///
/// stop() waits at most the node's drain timeout (PluginContext::drain_timeout()).
///
/// Thread safety: every member may be called from any thread; the work runs on the
/// context's executor, where every callback runs too. Nothing throws.
/// Lifetime: the object may be destroyed once stop() completed (or was never started);
/// callbacks that arrive later (a late commit) are ignored.
class MemoryQueue final : public sdk::Queue {
public:
    MemoryQueue(Settings settings, sdk::PluginContext& ctx);
    ~MemoryQueue() override;
    MemoryQueue(const MemoryQueue&) = delete;
    MemoryQueue& operator=(const MemoryQueue&) = delete;
    MemoryQueue(MemoryQueue&&) = delete;
    MemoryQueue& operator=(MemoryQueue&&) = delete;

    void subscribe_broadcast(sdk::BroadcastHandler handler) override;
    void subscribe_store(sdk::StoreHandler handler) override;
    void start(sdk::Done done) override;
    void publish(sdk::Message msg, sdk::PublishDone done) override;
    void read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    sdk::Executor executor_;
    std::shared_ptr<Core> core_;
};

}  // namespace relay::plugins::memory
