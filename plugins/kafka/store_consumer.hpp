#pragma once
/// The store subscription: one consumer group shared by every node.
#include "client_log.hpp"
#include "host_post.hpp"
#include "kafka_client.hpp"
#include "offset_committer.hpp"
#include "record_decoder.hpp"
#include "settings.hpp"
#include "store_handoff.hpp"

#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace relay::plugins::kafka {

/// Reads the topic in the consumer group `store_group` (each message is stored by one
/// node) with a consumer and a thread of its own, hands batches of at most
/// `store_batch_max` to the store handler (StoreHandoff) and commits a batch's offsets
/// only after the handler's commit succeeded (OffsetCommitter). A failed commit seeks
/// back and redelivers the batch after `store_retry_delay` (StoreHandoff waits it out).
/// At-least-once: a rebalance or a crash between storing and committing redelivers; the store is
/// idempotent by id.
///
/// Lifecycle: set_handler() before start(); start() once; abandon() ends a wait for
/// the handler; request_quit() then join() (the thread commits what is left, bounded,
/// and closes the consumer), then release(). Thread safety: committed_end(),
/// find_committed_by_group() and the quit/join calls from any thread; the rest from
/// the queue's start thread.
class StoreConsumer final : public ClientOwner {
public:
    /// `on_progress` runs (on the store thread) after committed_end() moved.
    StoreConsumer(const Settings& settings, std::string node_id, sdk::Executor executor,
                  sdk::Logger& log, sdk::Metrics& metrics, ClientLog& client_log,
                  RecordDecoder& decoder, HostPost post, std::function<void()> on_progress);
    ~StoreConsumer() override;
    StoreConsumer(const StoreConsumer&) = delete;
    StoreConsumer& operator=(const StoreConsumer&) = delete;
    StoreConsumer(StoreConsumer&&) = delete;
    StoreConsumer& operator=(StoreConsumer&&) = delete;

    void set_handler(sdk::StoreHandler handler) { handoff_.set_handler(std::move(handler)); }
    bool has_handler() { return handoff_.has_handler(); }

    /// Joins the group. Throws ClientConfigError for a configuration librdkafka refuses.
    std::error_code start();
    bool started() const noexcept { return thread_.joinable(); }

    /// The offset this node committed for `partition`; -1: none.
    std::int64_t committed_end(std::int32_t partition) {
        return committer_.committed_end(partition);
    }
    /// Adds to `committed` those of `partitions` whose offset committed in the group (by
    /// any member: a partition assigned to another node is committed by that node)
    /// reached their offset in `targets`. Asks the group coordinator, until `deadline`.
    void find_committed_by_group(const std::vector<std::int32_t>& partitions,
                                 const std::map<std::int32_t, std::int64_t>& targets,
                                 std::set<std::int32_t>& committed, Clock::time_point deadline);

    /// Stop no longer waits for the handler's commit nor for a retry delay.
    void abandon() { handoff_.abandon(); }
    void request_quit() noexcept { quit_.store(true); }
    void join();
    /// After join(): destroys the consumer.
    void release() noexcept;

    ClientLog& client_log() noexcept override { return client_log_; }

private:
    static constexpr std::chrono::milliseconds kPollInterval{100};
    /// A store group join unanswered this long (at least; see warn_if_still_joining) is
    /// logged: librdkafka itself waits up to max.poll.interval.ms (5 min) for the answer.
    static constexpr std::chrono::milliseconds kJoinWarningAfter{30000};

    /// The offsets of one partition in a store batch: [first, end).
    struct Span {
        std::int64_t first;
        std::int64_t end;
    };

    static void on_rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void run();
    void warn_if_still_joining();
    void seek_back(const std::map<std::int32_t, Span>& spans);
    void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* partitions);

    const Settings& settings_;
    const std::string node_id_;
    sdk::Logger& log_;
    ClientLog& client_log_;
    RecordDecoder& decoder_;
    sdk::Counter& stored_count_;
    sdk::Counter& store_retries_;
    sdk::Gauge& assigned_;
    StoreHandoff handoff_;
    OffsetCommitter committer_;

    ConsumerPtr rk_;
    std::atomic<bool> quit_{false};
    std::thread thread_;

    // The store thread only (rebalances are served by its poll calls).
    std::optional<Clock::time_point> joining_since_;  // set while waiting for an assignment
    bool join_warned_ = false;
};

}  // namespace relay::plugins::kafka
