#pragma once
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/queue.hpp>

#include <memory>
#include <system_error>

namespace relay::plugins::kafka {

/// The kafka queue's own errors (category "kafka"), for read_after().
enum class QueueErrc {
    /// The message to read after is not in the room's partition: retention deleted it,
    /// it is another room's, it was never written here (another topic or cluster), or
    /// the topic's partition count changed since and the room moved.
    message_not_found = 1,
};
const std::error_category& kafka_category() noexcept;
std::error_code make_error_code(QueueErrc e) noexcept;

/// The queue on a Kafka topic (librdkafka), shared by every node of a deployment.
///
/// publish() produces a JSON record (record.hpp) keyed by room with an idempotent,
/// acks=all producer; the delivery report acks the sender with the position
/// "partition:offset". A full producer queue (max_in_flight) rejects with
/// Errc::queue_full; a delivery that failed or outlived message_timeout acks with an
/// error: Errc::unavailable when the brokers never got the message, Errc::timed_out when
/// they may have (the outcome is unknown). A write the producer inferred from the
/// brokers' acking a later message is checked against its neighbours' offsets
/// (AckedOffsets): with no room for it in the log, it acks with Errc::unavailable.
///
/// The broadcast subscription reads every partition by manual assignment (no group),
/// from the end of the log at start(), on every node. The store subscription is one
/// consumer group (`store_group`) shared by all nodes: a batch's offsets are committed
/// only after the handler's commit succeeded; a failed commit seeks back and redelivers
/// the batch after `store_retry_delay`.
///
/// read_after(room, after_id) serves reconnecting clients from the log, with a reader of
/// its own (a consumer thread, never an I/O thread). Records carry the message time as
/// their Kafka timestamp, and a message id (a ULID) starts with that time, so the search
/// for `after_id` starts at the room partition's first record no older than the id's
/// time minus kClockSkewAllowance (offsets_for_times) and gives up at a record written
/// more than the allowance plus message_timeout after it; an id that carries no time is
/// searched from the partition's beginning. Then it returns the room's messages after
/// it, up to the end of the log as it was when asked, at most `limit`, within
/// `read_timeout`. Not found: QueueErrc::message_not_found; out of time: timed_out.
///
/// Parts, each owning its client, its thread and the state only that thread changes:
/// MessageProducer (publish, delivery reports, acks), BroadcastReader, StoreConsumer
/// (with StoreHandoff and OffsetCommitter), LogReader (read_after, with LogSearch);
/// TopicAdmin runs start's steps on the topic, BrokerHealth and ClientLog take what the
/// clients report, wait_until_caught_up() is stop's wait for the subscriptions. This
/// class only wires them and runs the lifecycle.
///
/// Threads: one per client (producer poller, broadcast consumer, store consumer, reader)
/// plus short-lived start and stop threads. librdkafka's own threads never call out:
/// logs, errors, delivery reports, rebalances and commits are served by these poll
/// loops, which hand every result to the context's executor (boost::asio::post).
///
/// Thread safety: every member may be called from any thread. Nothing throws after
/// construction; the constructor throws for a client configuration librdkafka refuses.
/// Lifetime: destroy once stop() completed (or it was never started). Destroying a
/// running queue stops it at once: undelivered acks are dropped, nothing more runs.
class KafkaQueue final : public sdk::Queue {
public:
    KafkaQueue(Settings settings, sdk::PluginContext& ctx);
    ~KafkaQueue() override;
    KafkaQueue(const KafkaQueue&) = delete;
    KafkaQueue& operator=(const KafkaQueue&) = delete;
    KafkaQueue(KafkaQueue&&) = delete;
    KafkaQueue& operator=(KafkaQueue&&) = delete;

    void subscribe_broadcast(sdk::BroadcastHandler handler) override;
    void subscribe_store(sdk::StoreHandler handler) override;
    void start(sdk::Done done) override;
    void publish(sdk::Message msg, sdk::PublishDone done) override;
    void read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    std::shared_ptr<Core> core_;
};

}  // namespace relay::plugins::kafka
