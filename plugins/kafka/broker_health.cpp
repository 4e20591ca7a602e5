#include "broker_health.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <utility>

namespace relay::plugins::kafka {

using Clock = std::chrono::steady_clock;

namespace {

/// `"key":`, which starts the key's value in librdkafka's statistics JSON. (Appended
/// piece by piece: GCC 12's -Wrestrict misreads `"\"" + std::string(key) + "\":"` at -O3.)
std::string key_prefix(std::string_view key) {
    std::string needle;
    needle.reserve(key.size() + 3);
    needle += '"';
    needle += key;
    needle += "\":";
    return needle;
}

/// The integer after `"key":` at or after `from` in `json`, and where it ends.
std::optional<std::pair<std::int64_t, std::size_t>> integer_after(std::string_view json,
                                                                  std::string_view key,
                                                                  std::size_t from,
                                                                  std::size_t until) {
    const std::string needle = key_prefix(key);
    const auto at = json.find(needle, from);
    if (at == std::string_view::npos || at >= until) return std::nullopt;
    std::int64_t value = 0;
    const char* begin = json.data() + at + needle.size();
    const auto [end, ec] = std::from_chars(begin, json.data() + json.size(), value);
    if (ec != std::errc()) return std::nullopt;
    return std::pair{value, static_cast<std::size_t>(end - json.data())};
}

/// The end of the JSON object that starts at `open` ('{'), strings respected.
std::size_t object_end(std::string_view json, std::size_t open) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = open; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return json.size();
}

/// The object value of `"key": {...}` found in [from, until): [open, end), or nullopt.
/// librdkafka writes `"key":{` and `"key": {` both.
std::optional<std::pair<std::size_t, std::size_t>> object_of(std::string_view json,
                                                             std::string_view key, std::size_t from,
                                                             std::size_t until) {
    const std::string needle = key_prefix(key);
    for (auto at = json.find(needle, from); at != std::string_view::npos && at < until;
         at = json.find(needle, at + 1)) {
        auto open = at + needle.size();
        while (open < json.size() && json[open] == ' ') ++open;
        if (open < json.size() && json[open] == '{') return std::pair{open, object_end(json, open)};
    }
    return std::nullopt;
}

}  // namespace

BrokerHealth::BrokerHealth(std::string brokers, std::string topic, sdk::Health& health,
                           sdk::Logger& log, sdk::Metrics& metrics, Post post)
    : brokers_(std::move(brokers)),
      topic_(std::move(topic)),
      health_(health),
      log_(log),
      unreachable_(
          metrics.gauge("kafka_partitions_unreachable",
                        "partitions whose leader is not connected to this node's producer")),
      post_(std::move(post)) {}

void BrokerHealth::start(int partitions, std::function<std::int64_t()> in_flight) {
    std::lock_guard lock(mutex_);
    started_ = true;
    partitions_ = partitions;
    in_flight_ = std::move(in_flight);
    last_delivery_ = Clock::now();
}

void BrokerHealth::stop() {
    std::lock_guard lock(mutex_);
    started_ = false;
    post_ = nullptr;
}

void BrokerHealth::set_partitions(int partitions) {
    std::lock_guard lock(mutex_);
    partitions_ = partitions;
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
    // An ack: the producer's path to the brokers works. The statistics say again if
    // some partitions' leaders are still not connected.
    if (state_ == State::unavailable) change(State::working, {});
}

void BrokerHealth::delivery_failed(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (state_ == State::unavailable || Clock::now() - last_delivery_ < kAckSilence) return;
    change(State::unavailable, "deliveries to Kafka fail (" + why + ") and none succeeded for " +
                                   std::to_string(kAckSilence.count() / 1000) + "s");
}

bool BrokerHealth::wants_metadata_probe() {
    std::lock_guard lock(mutex_);
    if (state_ != State::unavailable || (in_flight_ && in_flight_() > 0)) return false;
    if (Clock::now() < next_probe_) return false;
    next_probe_ = Clock::now() + kProbeInterval;
    return true;
}

void BrokerHealth::metadata_probe(bool every_partition_has_a_leader) {
    std::lock_guard lock(mutex_);
    // Nothing waits for an ack, and the cluster answers with a leader for every
    // partition: a publish now goes through.
    if (state_ == State::unavailable && every_partition_has_a_leader) change(State::working, {});
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
                          : "Kafka back: every partition leader of topic '" + topic_ +
                                "' is connected");
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

BrokerHealth::View BrokerHealth::parse_statistics(std::string_view json, std::string_view topic) {
    View view;
    if (const auto brokers = object_of(json, "brokers", 0, json.size())) {
        // One object per broker connection; "nodeid" precedes "state" in each.
        std::size_t at = brokers->first + 1;
        while (at < brokers->second) {
            const auto name = json.find('"', at);
            if (name == std::string_view::npos || name >= brokers->second) break;
            const auto open = json.find('{', name);
            if (open == std::string_view::npos || open >= brokers->second) break;
            const auto end = object_end(json, open);
            const auto node = integer_after(json, "nodeid", open, end);
            const std::string_view state_key = R"("state":")";
            const auto state = json.find(state_key, open);
            if (node && node->first >= 0 && state != std::string_view::npos && state < end) {
                const auto from = state + state_key.size();
                view.broker_state[static_cast<std::int32_t>(node->first)] =
                    std::string(json.substr(from, json.find('"', from) - from));
            }
            at = end;
        }
    }
    if (const auto topics = object_of(json, "topics", 0, json.size())) {
        if (const auto t = object_of(json, topic, topics->first, topics->second)) {
            if (const auto partitions = object_of(json, "partitions", t->first, t->second)) {
                std::size_t at = partitions->first + 1;
                while (at < partitions->second) {
                    const auto open = json.find('{', at);
                    if (open == std::string_view::npos || open >= partitions->second) break;
                    const auto end = object_end(json, open);
                    const auto id = integer_after(json, "partition", open, end);
                    const auto leader = integer_after(json, "leader", open, end);
                    if (id && leader && id->first >= 0) {
                        view.leaders[static_cast<std::int32_t>(id->first)] =
                            static_cast<std::int32_t>(leader->first);
                    }
                    at = end;
                }
            }
        }
    }
    return view;
}

void BrokerHealth::statistics(std::string_view json) {
    const View view = parse_statistics(json, topic_);
    std::lock_guard lock(mutex_);
    if (!started_ || partitions_ <= 0 || view.leaders.empty()) return;

    std::vector<std::int32_t> silent;
    std::string moves;
    for (std::int32_t p = 0; p < partitions_; ++p) {
        const auto it = view.leaders.find(p);
        const std::int32_t leader = it == view.leaders.end() ? -1 : it->second;
        // The producer connects to a leader only when a publish needs it, and leaves
        // one it lost in INIT until then: INIT says nothing. Any state but UP, UPDATE
        // or INIT is a connection that a waiting publish needs and cannot get.
        const auto state = view.broker_state.find(leader);
        const bool stalled =
            leader < 0 || (state != view.broker_state.end() && state->second != "UP" &&
                           state->second != "UPDATE" && state->second != "INIT");
        if (stalled) silent.push_back(p);
        if (leader < 0) continue;
        auto [known, fresh] = leaders_.try_emplace(p, leader);
        if (fresh || known->second == leader) continue;
        moves += (moves.empty() ? "" : ", ") + std::to_string(p) + " from broker " +
                 std::to_string(known->second) + " to " + std::to_string(leader);
        known->second = leader;
    }
    if (!moves.empty()) log_.info("topic '" + topic_ + "': partition leader(s) moved: " + moves);
    unreachable_.set(static_cast<std::int64_t>(silent.size()));

    if (state_ == State::failed) return;
    if (silent.empty()) {
        // Unavailable ends with an ack or the metadata probe, never with silence.
        if (state_ == State::degraded) change(State::working, {});
        return;
    }
    if (silent.size() == static_cast<std::size_t>(partitions_)) {
        change(State::unavailable, "no partition leader of topic '" + topic_ +
                                       "' is connected (queue.brokers " + brokers_ +
                                       "); publishes wait up to queue.message_timeout, then fail");
        return;
    }
    if (state_ == State::unavailable) return;  // a delivery report says when acks flow
    std::string list;
    for (const auto p : silent) list += (list.empty() ? "" : ", ") + std::to_string(p);
    change(State::degraded, "the leader of partition(s) " + list + " of topic '" + topic_ +
                                "' is not connected; publishes to their rooms wait up to "
                                "queue.message_timeout, then fail. Other rooms work");
}

}  // namespace relay::plugins::kafka
