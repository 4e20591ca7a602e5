#pragma once
/// The queue's producer: publishes, delivery reports, acks.
#include "acked_offsets.hpp"
#include "broker_health.hpp"
#include "client_log.hpp"
#include "host_post.hpp"
#include "kafka_client.hpp"
#include "queue_wakeup.hpp"
#include "settings.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace relay::plugins::kafka {

/// Produces JSON records (record.hpp) keyed by room with an idempotent, acks=all
/// producer, and acks each sender from its delivery report, with the position
/// "partition:offset". A full producer queue (max_in_flight) rejects at
/// once with queue_full; a delivery that failed or outlived message_timeout acks with
/// unavailable when the brokers never got the message, timed_out when they may have. A
/// write the producer inferred from the brokers' acking a later message is checked
/// against its neighbours' offsets (AckedOffsets): with no room for it in the log, it
/// acks with unavailable.
///
/// The executor serves the client's queue (QueueWakeup): the delivery reports, whose
/// acks run there at once, the statistics (BrokerHealth) and the log lines. Its own
/// thread settles the held acks, runs the metadata probes and flushes the ClientLog's
/// held-back lines; it polls the queue itself when no eventfd could be made, and at
/// stop, whether the executor still runs or not (acks are posted then).
///
/// Lifecycle: the client is created by the constructor (which throws
/// ClientConfigError for a configuration librdkafka refuses); start_polling(), then
/// open_topic() once the topic exists; request_quit() then join() (the thread serves
/// the last reports, bounded), then release(). Thread safety: count_in(), count_out(),
/// publish(), outstanding(), acked_ends() and purge() from any thread.
class MessageProducer final : public ClientOwner {
public:
    /// `on_progress` runs after outstanding() dropped.
    MessageProducer(const Settings& settings, const std::string& node_id, sdk::Executor executor,
                    sdk::Logger& log, sdk::Metrics& metrics, ClientLog& client_log,
                    BrokerHealth& broker_health, HostPost post, std::function<void()> on_progress);
    ~MessageProducer() override;
    MessageProducer(const MessageProducer&) = delete;
    MessageProducer& operator=(const MessageProducer&) = delete;
    MessageProducer(MessageProducer&&) = delete;
    MessageProducer& operator=(MessageProducer&&) = delete;

    /// The client, for the start-up steps (TopicAdmin); valid until release().
    rd_kafka_t* handle() const noexcept { return rk_.get(); }
    void start_polling();
    std::error_code open_topic();

    /// A publish on its way in: counted before the queue's state is read, so that
    /// stop (which sets the state, then waits for outstanding() to drop to zero) never
    /// misses one. Then publish() it, or count_out() it when the state refuses it.
    void count_in() noexcept { outstanding_.fetch_add(1); }
    void count_out();
    /// Hands `msg` (counted in) to the producer; `done` runs on the executor.
    void publish(sdk::Message msg, sdk::PublishDone done);

    /// Publishes not acked yet.
    std::int64_t outstanding() const noexcept { return outstanding_.load(); }
    /// Per partition, the offset after the last message the brokers acked.
    std::map<std::int32_t, std::int64_t> acked_ends();
    /// Fails every message still waiting for the brokers (their acks say so).
    void purge();

    void request_quit() noexcept;
    void join();
    void release() noexcept;

    ClientLog& client_log() noexcept override { return client_log_; }

private:
    static constexpr std::chrono::milliseconds kPollInterval{50};
    /// The most events one serve() takes before it lets other work on the executor run.
    static constexpr int kMaxServedEvents = 1024;
    /// How long an inferred write's ack waits for its later neighbour's delivery report,
    /// which is already on its way (settle_held()).
    static constexpr std::chrono::milliseconds kInferredWriteHold{1000};
    /// The producer's longest wait between reconnects, unless properties set it.
    static constexpr std::chrono::milliseconds kReconnectBackoffMax{1000};

    /// A message handed to the producer: who to ack. Owned by librdkafka meanwhile.
    struct Pending {
        sdk::PublishDone done;
        std::string id;
        std::uint64_t publish_seq;
    };
    struct Ack {
        sdk::PublishDone done;
        std::error_code error;
        std::string position;
    };
    /// The ack of a write librdkafka inferred, until settle_held() decides it.
    struct HeldAck {
        std::int32_t partition;
        std::uint64_t publish_seq;
        std::string id;
        Ack ack;
        Clock::time_point until;
    };

    static void on_delivery_cb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
    static int on_stats_cb(rd_kafka_t* rk, char* json, size_t len, void* opaque);
    void run();
    bool serve();
    void probe_metadata();
    void on_delivery(const rd_kafka_message_t* m);
    void settle_held(bool give_up);
    void hand_over_acks(bool here);
    void reject(sdk::PublishDone done, std::error_code ec);

    const Settings& settings_;
    const sdk::Executor executor_;
    sdk::Logger& log_;
    ClientLog& client_log_;
    BrokerHealth& broker_health_;
    const HostPost post_;
    const std::function<void()> on_progress_;
    sdk::Counter& published_;
    sdk::Counter& queue_full_;
    sdk::Counter& delivery_failed_;
    sdk::Counter& inferred_writes_;
    sdk::Gauge& in_flight_;

    HandlePtr rk_;
    TopicPtr topic_;
    std::atomic<std::int64_t> outstanding_{0};      // publishes not yet acked
    std::atomic<std::uint64_t> publish_errors_{0};  // for rate-limited warnings
    std::mutex produce_mutex_;
    std::uint64_t next_publish_seq_ = 0;  // guarded by produce_mutex_

    QueuePtr queue_;  // the main queue: reports, statistics, logs
    QueueWakeup wakeup_{executor_};

    // Whoever polls the queue: serve() on the executor, or the thread.
    std::mutex serve_mutex_;
    AckedOffsets acked_offsets_;
    std::vector<HeldAck> held_;
    std::vector<Ack> acks_;

    std::mutex quit_mutex_;
    std::condition_variable quit_cv_;
    std::atomic<bool> quit_{false};
    std::thread thread_;

    std::mutex acked_mutex_;
    std::map<std::int32_t, std::int64_t> acked_ends_;
};

}  // namespace relay::plugins::kafka
