#pragma once
/// The publish path: one XADD per message on the queue's command connection, acked
/// with the entry's position once the server answered.
#include "partition_streams.hpp"
#include "publish_health.hpp"
#include "store_backlog.hpp"
#include "stream_entry.hpp"
#include "valkey/connection.hpp"

#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::valkey_streams {

/// XADDs messages to their room's partition stream. One connection pipelines every
/// XADD in call order, so per-room (and per-sender) order holds. Refuses with
/// queue_full beyond `max_in_flight` unanswered XADDs or a store backlog of
/// `capacity`; acks unavailable before open(), without a connection, or when the
/// server refuses (which it reports to PublishHealth), shutting_down after shut().
/// Thread safety: none; everything runs on the queue's executor. Lifetime: shared;
/// answers arriving after destruction ack shutting_down.
class StreamPublisher : public std::enable_shared_from_this<StreamPublisher> {
public:
    struct Limits {
        std::size_t max_in_flight;
        std::size_t capacity;
        std::size_t maxlen;  ///< XADD MAXLEN ~; 0: no trimming
    };
    struct Metrics {
        sdk::Counter& published;
        sdk::Counter& full;
        sdk::Counter& failed;
    };

    StreamPublisher(std::shared_ptr<valkey::Connection> commands,
                    std::shared_ptr<const PartitionStreams> streams, Limits limits,
                    std::shared_ptr<StoreBacklog> backlog, std::shared_ptr<PublishHealth> health,
                    sdk::Logger& log, Metrics metrics, std::string endpoint);

    /// Accepts publishes from now on (the queue started).
    void open() { state_ = State::open; }
    /// Refuses publishes with shutting_down from now on (the queue stops).
    void shut() { state_ = State::shut; }
    void publish(sdk::Message msg, const sdk::PublishDone& done);
    /// Runs after every answered XADD (the drain watch looks again).
    void on_answered(std::function<void()> handler) { on_answered_ = std::move(handler); }

    std::size_t in_flight() const noexcept { return in_flight_; }
    /// Per partition, the newest entry this node added (nullopt: none).
    const std::vector<std::optional<EntryId>>& last_published() const noexcept {
        return last_published_;
    }

private:
    enum class State { created, open, shut };

    void on_added(std::size_t partition, std::error_code ec, const valkey::Reply& reply,
                  const sdk::PublishDone& done);

    std::shared_ptr<valkey::Connection> commands_;
    std::shared_ptr<const PartitionStreams> streams_;
    Limits limits_;
    std::shared_ptr<StoreBacklog> backlog_;
    std::shared_ptr<PublishHealth> health_;
    sdk::Logger& log_;
    Metrics metrics_;
    std::string endpoint_;  // host:port, for log lines
    std::function<void()> on_answered_;
    State state_ = State::created;
    std::size_t in_flight_ = 0;
    std::uint64_t full_in_a_row_ = 0;
    std::vector<std::optional<EntryId>> last_published_;
};

}  // namespace relay::plugins::valkey_streams
