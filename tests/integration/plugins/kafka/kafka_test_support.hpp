#pragma once
// Shared by the kafka queue's tests: one mock cluster per test process (3 brokers),
// a fresh topic per test, and a queue configured for it.
#include "plugins/kafka/kafka_queue.hpp"
#include "plugins/kafka/settings.hpp"
#include "support/mock_kafka.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::kafka::testing {

/// The cluster of this test process, started on first use and stopped (by pid) at
/// exit: three mock brokers, or RELAY_TEST_KAFKA_BROKERS.
inline relay::testing::MockKafka& shared_cluster() {
    static relay::testing::MockKafka cluster(3);
    return cluster;
}

/// A topic name no other test uses, created in the mock with `partitions`.
inline std::string fresh_topic(relay::testing::MockKafka& cluster, const std::string& prefix,
                               int partitions) {
    const std::string topic = prefix + "-" + sdk::testing::unique_token();
    cluster.create_topic(topic, partitions);
    return topic;
}

/// Like fresh_topic, with partition p led by broker p % brokers + 1. The mock picks
/// each leader at random: a test that takes one broker down needs it to lead some
/// partitions (at random, one of three brokers leads none of six 9% of the time).
inline std::string fresh_topic_spread(relay::testing::MockKafka& cluster, const std::string& prefix,
                                      int partitions) {
    const std::string topic = fresh_topic(cluster, prefix, partitions);
    for (int p = 0; p < partitions; ++p) cluster.leader(topic, p, p % cluster.brokers() + 1);
    return topic;
}

/// The store group's session timeout in the tests. The mock's group coordinator
/// (librdkafka 2.0.2) holds a JoinGroup round that starts while the group is up or
/// syncing for session.timeout.ms - 1s, and two races start such rounds for no reason
/// of the test's: a follower whose SyncGroup reaches the mock after the leader's is
/// refused (INVALID_REQUEST: the mock completed the sync on the leader's request) and
/// rejoins; and a leader that sees any metadata refresh while it waits for metadata to
/// run the assignor rejoins instead of syncing. With librdkafka's default (45s) each
/// costs 44s, longer than the tests wait; with 6s (Kafka's smallest by default) 5s.
inline constexpr std::chrono::milliseconds kTestSessionTimeout{6000};

/// Points `config` at `cluster` and `topic` (with `partitions`, so that no warning
/// about fewer partitions is logged), with a store group of its own, fast retries and
/// a short group session (kTestSessionTimeout).
inline void configure(sdk::testing::TestConfig& config, const relay::testing::MockKafka& cluster,
                      const std::string& topic, int partitions) {
    using namespace std::chrono_literals;
    config.set_string("brokers", cluster.bootstrap())
        .set_string("topic", topic)
        .set_integer("partitions", partitions)
        .set_string("store_group", "store-" + topic)
        .set_duration("store_retry_delay", 10ms)
        .set_duration("store_session_timeout", kTestSessionTimeout);
}

inline std::unique_ptr<KafkaQueue> make_queue(sdk::PluginContext& ctx) {
    return std::make_unique<KafkaQueue>(parse_settings(ctx.config()), ctx);
}

/// Every ack of a test, by message id. Thread-safe.
class AckLog {
public:
    sdk::PublishDone callback(std::string id) {
        return [this, id = std::move(id)](std::error_code ec, std::string position) {
            std::lock_guard lock(mutex_);
            ++calls_[id];
            errors_[id] = ec;
            positions_[id] = std::move(position);
            changed_.notify_all();
        };
    }
    bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return errors_.size() >= n; });
    }
    std::set<std::string> ok() const {
        return select([](const std::error_code& ec) { return !ec; });
    }
    std::set<std::string> failed(sdk::Errc e) const {
        return select([e](const std::error_code& ec) { return sdk::same_error(ec, e); });
    }
    std::set<std::string> failed() const {
        return select([](const std::error_code& ec) { return static_cast<bool>(ec); });
    }
    /// Ids acked more than once.
    std::vector<std::string> repeated() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [id, n] : calls_) {
            if (n > 1) out.push_back(id);
        }
        return out;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return errors_.size();
    }
    std::map<std::string, std::error_code> all() const {
        std::lock_guard lock(mutex_);
        return errors_;
    }
    std::string position(const std::string& id) const {
        std::lock_guard lock(mutex_);
        auto it = positions_.find(id);
        return it == positions_.end() ? std::string() : it->second;
    }

private:
    template <class Pred>
    std::set<std::string> select(Pred pred) const {
        std::lock_guard lock(mutex_);
        std::set<std::string> out;
        for (const auto& [id, ec] : errors_) {
            if (pred(ec)) out.insert(id);
        }
        return out;
    }
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::error_code> errors_;
    std::map<std::string, int> calls_;
    std::map<std::string, std::string> positions_;
};

/// One node: its own context (executor, node id) and kafka queue, a broadcast
/// collector and a store that commits at once and records what it stored.
class Node {
public:
    Node(const relay::testing::MockKafka& cluster, const std::string& topic, int partitions,
         const std::string& node_id,
         const std::function<void(sdk::testing::TestConfig&)>& tune = {})
        : ctx_(schema(), "queue", node_id) {
        configure(ctx_.settings(), cluster, topic, partitions);
        if (tune) tune(ctx_.settings());
        queue_ = make_queue(ctx_);
        queue_->subscribe_broadcast([this](const sdk::Message& msg) { broadcast.add(msg); });
        queue_->subscribe_store([this](std::vector<sdk::Message> batch, sdk::Done commit) {
            for (const auto& msg : batch) stored.add(msg.id);
            commit({});
        });
    }
    ~Node() {
        if (!stopped_) stop();
    }

    std::error_code start() {
        sdk::testing::Probe<std::error_code> started(ctx_);
        queue_->start(started.callback());
        if (!started.wait()) return make_error_code(sdk::Errc::timed_out);
        return started.get<0>();
    }
    std::error_code stop() {
        stopped_ = true;
        sdk::testing::Probe<std::error_code> stopped(ctx_);
        queue_->stop(stopped.callback());
        if (!stopped.wait(std::chrono::seconds(60))) return make_error_code(sdk::Errc::timed_out);
        return stopped.get<0>();
    }
    sdk::Queue& queue() { return *queue_; }
    sdk::testing::TestContext& ctx() { return ctx_; }

    sdk::testing::Collector<sdk::Message> broadcast;
    sdk::testing::Collector<std::string> stored;  // every delivery to the store, committed

private:
    sdk::testing::TestContext ctx_;
    std::unique_ptr<KafkaQueue> queue_;
    bool stopped_ = false;
};

/// A message of sender `sender` in `room`, its payload {"seq":seq}.
inline sdk::Message chat_message(const std::string& token, const std::string& room,
                                 const std::string& sender, int seq) {
    sdk::Message msg;
    msg.id = token + "-" + sender + "-" + std::to_string(100000 + seq);
    msg.room = token + "-" + room;
    msg.sender = sender;
    msg.user = sender;
    msg.ts_ms = 1700000000000 + seq;
    msg.payload_json = "{\"seq\":" + std::to_string(seq) + "}";
    return msg;
}

/// Checks that `received` holds each message at most once and each sender's messages
/// of a room in increasing seq; returns a description of the first problem, or "".
inline std::string order_problem(const std::vector<sdk::Message>& received) {
    std::map<std::pair<std::string, std::string>, int> last;  // (room, sender) -> seq
    std::set<std::string> seen;
    for (const auto& msg : received) {
        if (!seen.insert(msg.id).second) return "duplicate delivery of " + msg.id;
        const auto colon = msg.payload_json.find(':');
        const int seq = std::stoi(msg.payload_json.substr(colon + 1));
        auto [it, fresh] = last.try_emplace({msg.room, msg.sender}, seq);
        if (!fresh) {
            if (seq <= it->second) {
                return msg.sender + " in " + msg.room + ": seq " + std::to_string(seq) + " after " +
                       std::to_string(it->second);
            }
            it->second = seq;
        }
    }
    return {};
}

/// For a failure message: for each of `ids`, the position its ack reported and where
/// the topic's log holds it, read back with kcat. Tells a message the brokers lost
/// from one the consumers skipped.
inline std::string whereabouts(const relay::testing::MockKafka& cluster, const std::string& topic,
                               const AckLog& acks, const std::set<std::string>& ids) {
    relay::testing::TempDir dir;
    const auto dump =
        relay::testing::Process::run({"/usr/bin/kcat", "-C", "-b", cluster.bootstrap(), "-t", topic,
                                      "-e", "-q", "-f", "%p:%o %s\n"},
                                     dir.path(), std::chrono::seconds(30));
    std::string out;
    for (const auto& id : ids) {
        out += "\n  " + id + ": acked at " + acks.position(id) + ", in the log at ";
        std::istringstream lines(dump.out);
        std::string line;
        std::string found = "none (kcat exit " + std::to_string(dump.exit_code) + ")";
        while (std::getline(lines, line)) {
            if (line.find("\"" + id + "\"") != std::string::npos) {
                found = line.substr(0, line.find(' '));
                break;
            }
        }
        out += found;
    }
    return out;
}

inline std::set<std::string> ids_of(const std::vector<sdk::Message>& messages) {
    std::set<std::string> ids;
    for (const auto& msg : messages) ids.insert(msg.id);
    return ids;
}

}  // namespace relay::plugins::kafka::testing
