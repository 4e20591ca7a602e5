#pragma once
/// What the kafka queue tells the operator about its brokers (sdk::Health), and the
/// log lines that go with each change.
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::kafka {

/// The queue's health, from what its producer sees.
///
/// Unavailable (the node cannot get acks): every broker is down (librdkafka's
/// ALL_BROKERS_DOWN), the connection to every partition's leader is retrying, or
/// deliveries fail while none succeeded for kAckSilence; a fatal client error makes it
/// unavailable for good. Degraded: the producer's connections to some partitions'
/// leaders are retrying (a broker down without a leader change, with publishes waiting
/// for it): those rooms wait up to message_timeout, the others flow. Working again
/// only once acks can flow: a successful delivery report, or, with no publish waiting,
/// the topic's metadata answered with a leader for every partition (the producer's
/// reconnect backoff is capped at 1s, so a publish then connects at once).
///
/// The connections' states and the leaders come from librdkafka's statistics
/// (`statistics.interval.ms`, kStatsInterval), read where the producer's queue is
/// served; leader moves are logged from them. The producer connects to a leader only
/// when a publish needs it and leaves a lost one idle (INIT) until then, so a broker
/// that nobody publishes to shows nothing. (Asking a leader directly does not work:
/// rd_kafka_query_watermark_offsets blocks far beyond its timeout while it is down.)
/// Thread safety: any thread; changes are reported to `health` through `post` (the
/// queue's executor), in order.
class BrokerHealth {
public:
    using Post = std::function<void(std::function<void()>)>;
    static constexpr std::chrono::milliseconds kStatsInterval{1000};
    static constexpr std::chrono::milliseconds kAckSilence{2000};
    /// While unavailable with nothing waiting: how often to ask for the topic's metadata.
    static constexpr std::chrono::milliseconds kProbeInterval{250};
    static constexpr std::chrono::milliseconds kProbeTimeout{300};

    BrokerHealth(std::string brokers, std::string topic, sdk::Health& health, sdk::Logger& log,
                 sdk::Metrics& metrics, Post post);

    /// From start() on, statistics count; `in_flight` says how many publishes wait for
    /// their delivery report.
    void start(int partitions, std::function<std::int64_t()> in_flight);
    /// No report is made afterwards. Idempotent.
    void stop();
    void set_partitions(int partitions);

    // Events from the queue's clients.
    void all_brokers_down();
    void delivered();
    void delivery_failed(const std::string& why);
    void failed_for_good(const std::string& why);
    /// The producer's statistics (JSON, librdkafka's STATISTICS.md).
    void statistics(std::string_view json);
    /// True when the producer's thread should ask for the topic's metadata now
    /// (unavailable, no publish waiting, kProbeInterval since the last time), and
    /// report the answer to metadata_probe().
    bool wants_metadata_probe();
    void metadata_probe(bool every_partition_has_a_leader);

    /// From statistics JSON: each broker connection's state by node id, and the leader
    /// of each partition of `topic` (-1: none). Public for tests.
    struct View {
        std::map<std::int32_t, std::string> broker_state;
        std::map<std::int32_t, std::int32_t> leaders;
    };
    static View parse_statistics(std::string_view json, std::string_view topic);

private:
    enum class State { working, degraded, unavailable, failed };
    void change(State state, const std::string& reason);  // under mutex_

    const std::string brokers_;
    const std::string topic_;
    sdk::Health& health_;
    sdk::Logger& log_;
    sdk::Gauge& unreachable_;
    Post post_;

    std::mutex mutex_;
    bool started_ = false;
    int partitions_ = 0;
    State state_ = State::working;
    std::string reason_;
    std::chrono::steady_clock::time_point last_delivery_{};
    std::chrono::steady_clock::time_point next_probe_{};
    std::function<std::int64_t()> in_flight_;
    std::map<std::int32_t, std::int32_t> leaders_;  // as last seen, for logging moves
};

}  // namespace relay::plugins::kafka
