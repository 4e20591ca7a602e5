#pragma once
/// The store group's offset commits.
#include "kafka_client.hpp"

#include <relay/sdk/logger.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace relay::plugins::kafka {

/// Commits the offsets of stored batches for the store consumer: asynchronously, one
/// commit in flight at a time (so commits coalesce when the store is fast), retried
/// after kCommitRetryDelay when the group refuses one (a rebalance in progress refuses
/// commits until it completes); what is never committed is redelivered, not lost.
///
/// Thread safety: the store consumer's thread, except committed_end() (any thread).
/// Lifecycle: attach() to the consumer first; release() before the consumer goes.
class OffsetCommitter {
public:
    static constexpr std::chrono::milliseconds kCommitRetryDelay{100};

    /// `on_progress` runs (on the store thread) after committed_end() moved.
    OffsetCommitter(const std::string& topic, sdk::Logger& log, std::function<void()> on_progress)
        : topic_(topic), log_(log), on_progress_(std::move(on_progress)) {}

    /// Commits go through `rk`, their results to a queue of its own.
    void attach(rd_kafka_t* rk);
    void release() noexcept { queue_.reset(); }

    /// The records of `partition` before `end` are stored: commit them.
    void stored(std::int32_t partition, std::int64_t end);
    /// Revoked partitions are not committed by this node any more.
    void forget(const rd_kafka_topic_partition_list_t* partitions);

    /// Commits what is stored and not committed yet, unless a commit is in flight.
    void commit_pending();
    /// Serves commit results for up to `timeout_ms`.
    void serve(int timeout_ms);
    /// Commits what is pending and waits for the answer, retrying failures, until
    /// `deadline`; with `once`, a failure is not retried.
    void flush(Clock::time_point deadline, bool once = false);

    /// The offset the group committed for `partition` through this node; -1: none.
    std::int64_t committed_end(std::int32_t partition);

private:
    const std::string& topic_;
    sdk::Logger& log_;
    const std::function<void()> on_progress_;

    rd_kafka_t* rk_ = nullptr;
    QueuePtr queue_;
    std::map<std::int32_t, std::int64_t> to_commit_;  // stored, to be committed
    bool in_flight_ = false;
    Clock::time_point next_commit_{};
    std::uint64_t errors_ = 0;  // for rate-limited warnings

    std::mutex committed_mutex_;
    std::map<std::int32_t, std::int64_t> committed_end_;
};

}  // namespace relay::plugins::kafka
