#pragma once
/// The broadcast subscription: every partition of the topic, on every node.
#include "client_log.hpp"
#include "host_post.hpp"
#include "kafka_client.hpp"
#include "queue_wakeup.hpp"
#include "record_decoder.hpp"
#include "settings.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace relay::plugins::kafka {

/// Reads every partition by manual assignment (no group: every node reads everything)
/// with a consumer of its own, and hands each message to the broadcast handlers on the
/// executor, in batches (at most kMaxBroadcastBatch). The executor serves the
/// consumer's queue itself (QueueWakeup); its thread finds the partitions added to the
/// topic every `partition_check_interval` (read from their beginning), closes the
/// consumer at quit, and polls the records itself only when no eventfd could be made
/// (posting the batches then).
///
/// Lifecycle: add_handler() before start(); start() once; request_quit() then join()
/// (the thread closes the consumer), then release(). Thread safety: read_end() and the
/// quit/join calls from any thread; the rest from the queue's start thread.
class BroadcastReader final : public ClientOwner {
public:
    static constexpr std::size_t kMaxBroadcastBatch = 1024;

    /// `on_progress` runs (on the reader's thread) after read_end() moved.
    BroadcastReader(const Settings& settings, std::string node_id, sdk::Executor executor,
                    sdk::Logger& log, sdk::Metrics& metrics, ClientLog& client_log,
                    RecordDecoder& decoder, BrokerHealth& broker_health, HostPost post,
                    std::function<void()> on_progress);
    ~BroadcastReader() override;
    BroadcastReader(const BroadcastReader&) = delete;
    BroadcastReader& operator=(const BroadcastReader&) = delete;
    BroadcastReader(BroadcastReader&&) = delete;
    BroadcastReader& operator=(BroadcastReader&&) = delete;

    void add_handler(sdk::BroadcastHandler handler);
    bool has_handlers();

    /// Reads partitions 0 .. partitions-1, each from its offset in `start_offsets` (the
    /// end of the log when start() began: every message published after start() is
    /// broadcast, none from before), from the beginning when it has none there.
    /// Throws ClientConfigError for a configuration librdkafka refuses.
    std::error_code start(int partitions,
                          const std::map<std::int32_t, std::int64_t>& start_offsets);
    bool started() const noexcept { return thread_.joinable(); }

    /// The offset after the last record of `partition` it handed over (or started at);
    /// -1 when it knows none.
    std::int64_t read_end(std::int32_t partition);

    void request_quit() noexcept;
    void join();
    /// After join(): destroys the consumer (its queue first, as librdkafka asks).
    void release() noexcept {
        queue_.reset();
        rk_.reset();
    }

    ClientLog& client_log() noexcept override { return client_log_; }

private:
    static constexpr std::chrono::milliseconds kPollInterval{100};

    void run();
    bool serve();
    /// Takes what the consumer has fetched (waiting up to `wait` for the first) into
    /// `batch`, and the offsets after them into `ends`; true when the batch is full.
    bool take_records(std::chrono::milliseconds wait, std::vector<sdk::Message>& batch,
                      std::map<std::int32_t, std::int64_t>& ends);
    /// After the batch was handed over (or posted): read_end() moves, and the progress
    /// is signalled. Clears `ends`.
    void note_ends(std::map<std::int32_t, std::int64_t>& ends);
    void hand_over(const std::vector<sdk::Message>& batch);
    void post_batch(std::vector<sdk::Message> batch);
    void check_partitions(rd_kafka_t* rk, rd_kafka_topic_t* topic);

    const Settings& settings_;
    const std::string node_id_;
    sdk::Logger& log_;
    ClientLog& client_log_;
    RecordDecoder& decoder_;
    BrokerHealth& broker_health_;
    sdk::Counter& broadcast_count_;
    const HostPost post_;
    const std::function<void()> on_progress_;

    std::mutex handlers_mutex_;  // handlers_ are set before start(), read-only after
    std::vector<sdk::BroadcastHandler> handlers_;

    ConsumerPtr rk_;
    QueuePtr queue_;  // the consumer's queue: records, logs, errors
    QueueWakeup wakeup_;
    int partitions_ = 0;             // the reader's thread, once started
    std::uint64_t poll_errors_ = 0;  // whoever takes the records
    std::mutex quit_mutex_;
    std::condition_variable quit_cv_;
    std::atomic<bool> quit_{false};
    std::thread thread_;

    std::mutex ends_mutex_;
    std::map<std::int32_t, std::int64_t> ends_;  // next offset after what was handed over
};

}  // namespace relay::plugins::kafka
