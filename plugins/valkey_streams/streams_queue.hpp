#pragma once
#include "partition_streams.hpp"
#include "queue_errc.hpp"
#include "settings.hpp"
#include "valkey/on_executor.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/queue.hpp>

#include <memory>
#include <string_view>

namespace relay::plugins::valkey_streams {

/// The queue on Valkey Streams, shared by every node of a deployment.
///
/// publish() XADDs the message to its room's partition stream (`MAXLEN ~
/// maxlen`) and acks with the position "<partition>:<entry id>" once the server
/// answered (with `appendonly yes` and `appendfsync always`, after the entry is
/// on disk). Failures ack with an error: Errc::unavailable without a connection
/// (or when it was lost before the answer: the entry may or may not be there),
/// Errc::timed_out. At most `max_in_flight` XADDs wait for their answer and at
/// most `capacity` messages wait in the store group's backlog (measured every
/// `backlog_interval`); beyond either, Errc::queue_full.
///
/// Broadcast: every node reads every partition (XREAD BLOCK, own connection)
/// from the streams' ends at start(). Store: one consumer group shared by all
/// nodes (XREADGROUP, own connection); entries are XACKed only after the
/// handler's commit succeeded; a failed commit re-reads this consumer's pending
/// entries (from id 0) after `store_retry_delay`; entries another consumer left
/// pending for `claim_idle` are claimed (XAUTOCLAIM). read_after(room,
/// after_id) finds the message in the room's stream (from shortly before the
/// time its id starts with) and reads on after it.
///
/// The work is split by role (each part owns its connection or timers and its
/// state): StreamPublisher (XADD) with StoreBacklog (capacity) and
/// PublishHealth (readiness), BroadcastReader (XREAD), StoreConsumer
/// (XREADGROUP/XACK) with PendingClaimer (XAUTOCLAIM), RecoveryReader
/// (read_after) and DrainWatch (stop). This class runs the lifecycle (start,
/// stop) and wires them.
///
/// Thread safety: every member may be called from any thread; the work runs on
/// the context's executor (hiredis on Asio, no threads of its own), where every
/// callback runs too. Nothing throws. Lifetime: destroy once stop() completed
/// (or it was never started); callbacks that arrive later are ignored.
class StreamsQueue final : public sdk::Queue {
public:
    StreamsQueue(Settings settings, sdk::PluginContext& ctx);
    ~StreamsQueue() override;
    StreamsQueue(const StreamsQueue&) = delete;
    StreamsQueue& operator=(const StreamsQueue&) = delete;
    StreamsQueue(StreamsQueue&&) = delete;
    StreamsQueue& operator=(StreamsQueue&&) = delete;

    void subscribe_broadcast(sdk::BroadcastHandler handler) override;
    void subscribe_store(sdk::StoreHandler handler) override;
    void start(sdk::Done done) override;
    void publish(sdk::Message msg, sdk::PublishDone done) override;
    void read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    valkey::OnExecutor<Core> core_;
};

}  // namespace relay::plugins::valkey_streams
