#pragma once
/// What the kafka queue tells the operator about its brokers (sdk::Health), and the
/// log lines that go with each change.
#include "kafka_client.hpp"

#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::kafka {

/// The queue's health, from what its clients see and from a probe of its own.
///
/// Unavailable (the node cannot get acks): every broker is down (librdkafka's
/// ALL_BROKERS_DOWN), no partition leader answers the probe, or deliveries fail while
/// none succeeded for kAckSilence; a fatal client error makes it unavailable for good.
/// Degraded: the leaders of some partitions do not answer (a broker down without a
/// leader change): those rooms' publishes wait up to message_timeout, the others flow.
/// Working again only once acks can flow: a successful delivery report, or, with no
/// publish waiting, the probe finding every partition's leader answering on the
/// producer's own connections (not merely some broker answering metadata, which comes
/// seconds before the producer reconnected to the leaders).
///
/// The probe (its own thread, every kProbeInterval, faster while unavailable) reads the
/// topic's metadata, then asks each leader for a partition's end offset through the
/// producer handle, and logs leader moves. Thread safety: the event members may be called from any
/// thread; changes are reported to `health` through `post` (the queue's executor), in order.
class BrokerHealth {
public:
    using Post = std::function<void(std::function<void()>)>;
    static constexpr std::chrono::milliseconds kProbeInterval{1000};
    static constexpr std::chrono::milliseconds kProbeIntervalUnavailable{250};
    static constexpr std::chrono::milliseconds kProbeTimeout{300};
    static constexpr std::chrono::milliseconds kAckSilence{2000};

    BrokerHealth(std::string brokers, std::string topic, sdk::Health& health, sdk::Logger& log,
                 sdk::Metrics& metrics, Post post);
    ~BrokerHealth();
    BrokerHealth(const BrokerHealth&) = delete;
    BrokerHealth& operator=(const BrokerHealth&) = delete;

    /// Starts the probe on `producer` (which must outlive stop()), for `partitions`;
    /// `in_flight` says how many publishes wait for their delivery report.
    void start(rd_kafka_t* producer, int partitions, std::function<std::int64_t()> in_flight);
    /// Joins the probe; no report is made afterwards. Idempotent.
    void stop();
    void set_partitions(int partitions) { partitions_.store(partitions); }

    // Events from the queue's clients.
    void all_brokers_down();
    void delivered();
    void delivery_failed(const std::string& why);
    void failed_for_good(const std::string& why);

private:
    enum class State { working, degraded, unavailable, failed };
    void run_probe();
    void probe();
    /// The partitions whose leader does not answer this node's producer, in order;
    /// logs leader moves on the way.
    std::vector<std::int32_t> silent_partitions(int partitions);
    void change(State state, const std::string& reason);  // under mutex_

    const std::string brokers_;
    const std::string topic_;
    sdk::Health& health_;
    sdk::Logger& log_;
    sdk::Gauge& unreachable_;
    Post post_;

    std::mutex mutex_;
    State state_ = State::working;
    std::string reason_;
    std::chrono::steady_clock::time_point last_delivery_{};

    rd_kafka_t* producer_ = nullptr;
    std::atomic<int> partitions_{0};
    std::function<std::int64_t()> in_flight_;
    std::map<std::int32_t, std::int32_t> leaders_;  // the probe thread's
    std::mutex quit_mutex_;
    std::condition_variable quit_cv_;
    bool quit_ = false;
    std::thread thread_;
};

}  // namespace relay::plugins::kafka
