#include "broker_health.hpp"

#include <algorithm>

namespace relay::plugins::kafka {

using Clock = std::chrono::steady_clock;

BrokerHealth::BrokerHealth(std::string brokers, std::string topic, sdk::Health& health,
                           sdk::Logger& log, sdk::Metrics& metrics, Post post)
    : brokers_(std::move(brokers)),
      topic_(std::move(topic)),
      health_(health),
      log_(log),
      unreachable_(metrics.gauge("kafka_partitions_unreachable",
                                 "partitions whose leader does not answer this node's producer")),
      post_(std::move(post)) {}

BrokerHealth::~BrokerHealth() {
    stop();
}

void BrokerHealth::start(rd_kafka_t* producer, int partitions,
                         std::function<std::int64_t()> in_flight) {
    producer_ = producer;
    partitions_.store(partitions);
    in_flight_ = std::move(in_flight);
    {
        std::lock_guard lock(mutex_);
        last_delivery_ = Clock::now();
    }
    thread_ = std::thread([this] { run_probe(); });
}

void BrokerHealth::stop() {
    {
        std::lock_guard lock(quit_mutex_);
        quit_ = true;
    }
    quit_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    post_ = nullptr;
}

void BrokerHealth::all_brokers_down() {
    std::lock_guard lock(mutex_);
    change(State::unavailable, "cannot reach any Kafka broker of queue.brokers (" + brokers_ +
                                   "); publishes wait for them up to queue.message_timeout, "
                                   "then fail");
}

void BrokerHealth::delivered() {
    std::lock_guard lock(mutex_);
    last_delivery_ = Clock::now();
    // An ack: the producer's path to the brokers works. The probe says again if some
    // partitions' leaders still do not answer.
    if (state_ == State::unavailable) change(State::working, {});
}

void BrokerHealth::delivery_failed(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (state_ == State::unavailable || Clock::now() - last_delivery_ < kAckSilence) return;
    change(State::unavailable, "deliveries to Kafka fail (" + why + ") and none succeeded for " +
                                   std::to_string(kAckSilence.count() / 1000) + "s");
}

void BrokerHealth::failed_for_good(const std::string& why) {
    std::lock_guard lock(mutex_);
    change(State::failed, why);
}

void BrokerHealth::change(State state, const std::string& reason) {
    if (state_ == State::failed || (state_ == state && reason_ == reason)) return;
    // Once unavailable, the first reason stands until it recovers: the operator sees
    // the cause, not the consequences that follow it.
    if (state_ == State::unavailable && state == State::unavailable) return;
    const State before = state_;
    state_ = state;
    reason_ = reason;
    switch (state) {
        case State::failed:
        case State::unavailable: log_.warn("Kafka lost: " + reason); break;
        case State::degraded: log_.warn("Kafka degraded: " + reason); break;
        case State::working:
            log_.info(before == State::unavailable
                          ? "Kafka back: acks flow again"
                          : "Kafka back: every partition leader of topic '" + topic_ + "' answers");
            break;
    }
    if (!post_) return;
    post_([&health = health_, state, reason] {
        switch (state) {
            case State::failed:
            case State::unavailable: health.unavailable(reason); break;
            case State::degraded: health.degraded(reason); break;
            case State::working: health.recovered(); break;
        }
    });
}

void BrokerHealth::run_probe() {
    for (;;) {
        State state = State::working;
        {
            std::lock_guard lock(mutex_);
            state = state_;
        }
        const auto interval =
            state == State::unavailable ? kProbeIntervalUnavailable : kProbeInterval;
        {
            std::unique_lock lock(quit_mutex_);
            if (quit_cv_.wait_for(lock, interval, [&] { return quit_; })) return;
        }
        probe();
    }
}

void BrokerHealth::probe() {
    const int partitions = partitions_.load();
    if (partitions <= 0) return;
    const std::vector<std::int32_t> silent = silent_partitions(partitions);
    {
        std::lock_guard lock(quit_mutex_);
        if (quit_) return;
    }
    unreachable_.set(static_cast<std::int64_t>(silent.size()));

    std::lock_guard lock(mutex_);
    if (state_ == State::failed) return;
    if (silent.empty()) {
        // Leaders answer; with publishes waiting, their delivery reports decide.
        if (state_ == State::unavailable && in_flight_ && in_flight_() > 0) return;
        change(State::working, {});
        return;
    }
    if (silent.size() == static_cast<std::size_t>(partitions)) {
        change(State::unavailable, "no partition leader of topic '" + topic_ +
                                       "' answers (queue.brokers " + brokers_ +
                                       "); publishes wait up to queue.message_timeout, then fail");
        return;
    }
    if (state_ == State::unavailable) return;  // a delivery report says when acks flow
    std::string list;
    for (const auto p : silent) list += (list.empty() ? "" : ", ") + std::to_string(p);
    change(State::degraded, "the leader of partition(s) " + list + " of topic '" + topic_ +
                                "' does not answer; publishes to their rooms wait up to "
                                "queue.message_timeout, then fail. Other rooms work");
}

std::vector<std::int32_t> BrokerHealth::silent_partitions(int partitions) {
    std::vector<std::int32_t> all(static_cast<std::size_t>(partitions));
    for (int p = 0; p < partitions; ++p) all[static_cast<std::size_t>(p)] = p;
    // Who leads what, from a broker that answers (none answering: nothing works).
    TopicPtr topic(rd_kafka_topic_new(producer_, topic_.c_str(), nullptr));
    if (!topic) return all;
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err =
        rd_kafka_metadata(producer_, 0, topic.get(), &raw, static_cast<int>(kProbeTimeout.count()));
    MetadataPtr metadata(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
        metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return all;
    }
    const auto& t = metadata->topics[0];
    std::map<std::int32_t, std::vector<std::int32_t>> by_leader;
    std::vector<std::int32_t> silent;
    std::string moves;
    for (int i = 0; i < t.partition_cnt; ++i) {
        const auto& p = t.partitions[i];
        if (p.id >= partitions) continue;
        if (p.leader < 0) {
            silent.push_back(p.id);  // no leader at all
        } else {
            by_leader[p.leader].push_back(p.id);
        }
        auto [it, fresh] = leaders_.try_emplace(p.id, p.leader);
        if (fresh || it->second == p.leader) continue;
        moves += (moves.empty() ? "" : ", ") + std::to_string(p.id) + " from broker " +
                 std::to_string(it->second) + " to " + std::to_string(p.leader);
        it->second = p.leader;
    }
    if (!moves.empty()) log_.info("topic '" + topic_ + "': partition leader(s) moved: " + moves);
    // Each leader, on the producer's own connection to it (what a publish needs): one
    // partition's end offset. A leader that does not answer costs kProbeTimeout, on
    // this thread only.
    for (const auto& [leader, led] : by_leader) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        const auto answer =
            rd_kafka_query_watermark_offsets(producer_, topic_.c_str(), led.front(), &low, &high,
                                             static_cast<int>(kProbeTimeout.count()));
        if (answer != RD_KAFKA_RESP_ERR_NO_ERROR)
            silent.insert(silent.end(), led.begin(), led.end());
    }
    std::sort(silent.begin(), silent.end());
    return silent;
}

}  // namespace relay::plugins::kafka
