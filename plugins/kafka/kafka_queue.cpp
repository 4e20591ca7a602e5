#include "kafka_queue.hpp"

#include "acked_offsets.hpp"
#include "broker_health.hpp"
#include "kafka_client.hpp"
#include "log_text.hpp"
#include "record.hpp"
#include "repeat_filter.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>
#include <relay/sdk/message_id.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace relay::plugins::kafka {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class KafkaCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "kafka"; }
    std::string message(int value) const override {
        switch (static_cast<QueueErrc>(value)) {
            case QueueErrc::message_not_found:
                return "the message to read after is not in the room's Kafka partition";
        }
        return "unknown kafka queue error";
    }
};

/// Milliseconds left until `deadline`, as librdkafka's int timeouts want them.
int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
}

std::string random_suffix() {
    std::random_device rd;
    char buffer[20];
    std::snprintf(buffer, sizeof buffer, "%08x%08x", rd(), rd());
    return buffer;
}

std::error_code relay_error(sdk::Errc e) {
    return sdk::make_error_code(e);
}

}  // namespace

const std::error_category& kafka_category() noexcept {
    static const KafkaCategory category;
    return category;
}

std::error_code make_error_code(QueueErrc e) noexcept {
    return {static_cast<int>(e), kafka_category()};
}

/// Everything of one queue. Threads capture `this`: they are all joined before the
/// Core can go away (by stop, or by the KafkaQueue's destructor). Work posted to the
/// executor holds a shared_ptr, and does nothing once `closed_` is set.
class KafkaQueue::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          node_id_(ctx.node_id()),
          broker_health_(settings_.brokers, settings_.topic, ctx.health(), ctx.log(), ctx.metrics(),
                         [this](std::function<void()> report) {
                             boost::asio::post(
                                 executor_, [weak = weak_from_this(), report = std::move(report)] {
                                     auto self = weak.lock();
                                     if (self && !self->closed_.load()) report();
                                 });
                         }),
          published_(ctx.metrics().counter("kafka_published_total",
                                           "messages the Kafka brokers acknowledged")),
          queue_full_(ctx.metrics().counter(
              "kafka_queue_full_total", "publishes rejected because the producer queue was full")),
          delivery_failed_(ctx.metrics().counter("kafka_delivery_failures_total",
                                                 "publishes whose delivery failed or timed out")),
          inferred_writes_(ctx.metrics().counter(
              "kafka_inferred_writes_total",
              "acks without an offset: written as the producer inferred from a later ack")),
          broadcast_count_(ctx.metrics().counter("kafka_broadcast_total",
                                                 "messages handed to broadcast subscribers")),
          stored_count_(ctx.metrics().counter("kafka_stored_total",
                                              "messages whose store batch was committed")),
          store_retries_(ctx.metrics().counter("kafka_store_retries_total",
                                               "store batches redelivered after a failed commit")),
          bad_records_(ctx.metrics().counter("kafka_bad_records_total",
                                             "records in the topic that are not Relay messages")),
          in_flight_(ctx.metrics().gauge("kafka_in_flight",
                                         "messages handed to the producer, not yet acknowledged")),
          assigned_(ctx.metrics().gauge("kafka_store_assigned_partitions",
                                        "partitions the store group assigned to this node")) {
        ConfPtr conf = make_conf(settings_, Role::producer, node_id_, {});
        route_callbacks(conf.get());
        rd_kafka_conf_set_dr_msg_cb(conf.get(), &Core::on_delivery_cb);
        // Which leaders the producer is connected to: BrokerHealth reads it (properties
        // may set another interval; 0 turns the stalled-leader signal off).
        if (!has_property(settings_, "statistics.interval.ms")) {
            set_property(conf.get(), "statistics.interval.ms",
                         std::to_string(BrokerHealth::kStatsInterval.count()));
        }
        // librdkafka waits up to 10s between reconnects by default: a node would say
        // ready (the brokers answer) long before its producer reconnected and acked.
        if (!has_property(settings_, "reconnect.backoff.max.ms")) {
            set_property(conf.get(), "reconnect.backoff.max.ms",
                         std::to_string(kReconnectBackoffMax.count()));
        }
        rd_kafka_conf_set_stats_cb(conf.get(), &Core::on_stats_cb);
        producer_ = make_handle(Role::producer, std::move(conf));
        rd_kafka_set_log_queue(producer_.get(), nullptr);
    }

    ~Core() { shutdown(); }
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    void subscribe_broadcast(sdk::BroadcastHandler handler) {
        std::lock_guard lock(setup_mutex_);
        if (handler) broadcast_.push_back(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) {
        std::lock_guard lock(setup_mutex_);
        store_ = std::move(handler);
    }

    void start(sdk::Done done) {
        std::lock_guard lock(stop_mutex_);
        State expected = State::created;
        if (!state_.compare_exchange_strong(expected, State::starting)) {
            post_done(std::move(done), expected == State::running
                                           ? std::error_code()
                                           : relay_error(sdk::Errc::shutting_down));
            return;
        }
        starter_ =
            std::thread([this, done = std::move(done)]() mutable { run_start(std::move(done)); });
    }

    void publish(sdk::Message msg, sdk::PublishDone done) {
        // Counted before the state is read, so that stop (which sets the state, then
        // waits for the count to drop to zero) never misses a message on its way in.
        outstanding_.fetch_add(1);
        const State state = state_.load();
        if (state != State::running) {
            outstanding_.fetch_sub(1);
            notify_progress();
            reject(std::move(done), relay_error(state == State::stopping || state == State::stopped
                                                    ? sdk::Errc::shutting_down
                                                    : sdk::Errc::unavailable));
            return;
        }
        const std::string value = encode_record(msg);
        auto pending = std::make_unique<Pending>(Pending{std::move(done), std::move(msg.id), 0});
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        {
            // The publish order must be the producer's message order (AckedOffsets).
            std::lock_guard lock(produce_mutex_);
            pending->publish_seq = next_publish_seq_++;
            err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_RKT(producer_topic_.get()),
                                    RD_KAFKA_V_KEY(msg.room.data(), msg.room.size()),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_TIMESTAMP(msg.ts_ms),
                                    RD_KAFKA_V_OPAQUE(pending.get()), RD_KAFKA_V_END);
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            outstanding_.fetch_sub(1);
            notify_progress();
            std::error_code ec;
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                queue_full_.add();
                if (queue_full_.value() % 1000 == 1) {
                    log_.warn("the producer queue is full (" +
                              std::to_string(settings_.queue_buffering_max_messages) +
                              " messages waiting for the brokers); publishes fail with "
                              "queue_full. Increase queue.queue_buffering_max_messages if the "
                              "brokers keep up");
                }
                ec = relay_error(sdk::Errc::queue_full);
            } else if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                ec = relay_error(sdk::Errc::payload_too_large);
            } else {
                if (publish_errors_.fetch_add(1) % 1000 == 0) {
                    log_.warn(std::string("publish failed: ") + rd_kafka_err2str(err));
                }
                ec = relay_error(sdk::Errc::unavailable);
            }
            reject(std::move(pending->done), ec);
            return;
        }
        pending.release();  // owned by librdkafka until its delivery report
        in_flight_.add();
    }

    void read_after(std::string room, std::string after_id, std::size_t limit, sdk::ReadDone done) {
        const State state = state_.load();
        if (state != State::running) {
            post_read(std::move(done),
                      relay_error(state == State::created || state == State::starting
                                      ? sdk::Errc::unavailable
                                      : sdk::Errc::shutting_down),
                      {});
            return;
        }
        std::lock_guard lock(reader_mutex_);
        if (reader_closed_) {
            post_read(std::move(done), relay_error(sdk::Errc::shutting_down), {});
            return;
        }
        if (reads_.size() >= kMaxQueuedReads) {
            post_read(std::move(done), relay_error(sdk::Errc::queue_full), {});
            return;
        }
        reads_.push_back({std::move(room), std::move(after_id), limit, std::move(done)});
        if (!reader_thread_.joinable()) reader_thread_ = std::thread([this] { run_reader(); });
        reader_cv_.notify_one();
    }

    void stop(sdk::Done done) {
        std::lock_guard lock(stop_mutex_);
        if (stop_finished_) {
            post_done(std::move(done), {});
            return;
        }
        stop_waiters_.push_back(std::move(done));
        if (stopper_.joinable()) return;
        state_.store(State::stopping);
        stopper_ = std::thread([this] { run_stop(); });
    }

    /// The KafkaQueue is going away. After a stop: waits for it. Without one: stops at
    /// once, dropping acks and deliveries still on their way.
    void shutdown() {
        std::thread stopper;
        {
            std::lock_guard lock(stop_mutex_);
            if (stopper_.joinable()) {
                stopper = std::move(stopper_);
            } else {
                state_.store(State::stopped);
                stop_finished_ = true;
            }
        }
        if (stopper.joinable()) {
            stopper.join();
            return;
        }
        if (shut_down_) return;
        closed_.store(true);
        abandon_store();
        join(take(starter_));
        if (producer_)
            rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        quit_all();
        release_handles();
    }

private:
    enum class State { created, starting, running, stopping, stopped };

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
    /// One store batch waiting for the handler's commit; the commit may come from any
    /// thread, at most once counts.
    struct CommitSlot {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<std::error_code> result;
    };
    struct ReadRequest {
        std::string room;
        std::string after_id;
        std::size_t limit;
        sdk::ReadDone done;
    };
    /// The offsets of one partition in a store batch: [first, end).
    struct Span {
        std::int64_t first;
        std::int64_t end;
    };

    static constexpr std::size_t kMaxQueuedReads = 256;
    static constexpr std::size_t kMaxBroadcastBatch = 1024;
    static constexpr milliseconds kPollInterval{100};
    static constexpr milliseconds kCloseTimeout{5000};
    static constexpr milliseconds kCommitRetryDelay{100};
    /// A store group join unanswered this long (at least; see join_warning_after) is
    /// logged: librdkafka itself waits up to max.poll.interval.ms (5 min) for the answer.
    static constexpr milliseconds kJoinWarningAfter{30000};
    /// How long an inferred write's ack waits for its later neighbour's delivery report,
    /// which is already on its way (settle_held()).
    static constexpr milliseconds kInferredWriteHold{1000};
    /// How far a record's time may lie before the time in its message id (the broker's
    /// clock behind the node's, for topics with LogAppendTime), for read_after.
    static constexpr milliseconds kClockSkewAllowance{10000};
    /// librdkafka's lines repeat per client and per retry: one per problem this often.
    static constexpr milliseconds kLogRepeatWindow{10000};
    /// The producer's longest wait between reconnects, unless properties set it.
    static constexpr milliseconds kReconnectBackoffMax{1000};

    // ---- librdkafka callbacks: served only by this queue's poll calls --------------

    void route_callbacks(rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, this);
        rd_kafka_conf_set_log_cb(conf, &Core::on_log_cb);
        rd_kafka_conf_set_error_cb(conf, &Core::on_error_cb);
    }

    static void on_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
        auto* self = static_cast<Core*>(rd_kafka_opaque(rk));
        if (self == nullptr) return;
        if (level > 6) {
            self->log_.debug(std::string("librdkafka ") + rd_kafka_name(rk) + ": " + facility +
                             ": " + text);
            return;
        }
        // Every client reports each broker's trouble at every retry: one line per
        // problem per kLogRepeatWindow, with a count of the ones held back.
        const auto passed =
            self->repeats_.pass(RepeatFilter::key_of(facility, text),
                                std::string("librdkafka: ") + facility + ": " + text);
        if (!passed) return;
        const std::string& line = *passed;
        // librdkafka logs what it recovers from (a broker connection refused) at
        // LOG_ERR; only critical conditions are errors of the queue.
        if (level <= 2) {
            self->log_.error(line);
        } else if (level <= 4) {
            self->log_.warn(line);
        } else if (level <= 6) {
            self->log_.info(line);
        } else {
            self->log_.debug(line);
        }
    }

    static void on_error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
        auto* self = static_cast<Core*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char fatal[512];
            const auto code = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
            const std::string why = std::string("Kafka client ") + rd_kafka_name(rk) +
                                    " failed for good (" + rd_kafka_err2name(code) + ": " + fatal +
                                    "); publishes fail until the node restarts";
            self->log_.error(why);
            self->broker_health_.failed_for_good(why);
            return;
        }
        // Other errors are informational (librdkafka recovers by itself) and were logged
        // through the log callback already; all brokers down is worth a line of its own.
        const std::string line = std::string("Kafka client ") + rd_kafka_name(rk) + ": " +
                                 rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                                 reason;
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
            self->broker_health_.all_brokers_down();  // logs the change itself
        } else {
            self->log_.debug(line);
        }
    }

    static int on_stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
        static_cast<Core*>(opaque)->broker_health_.statistics(std::string_view(json, len));
        return 0;  // librdkafka frees the text
    }

    static void on_delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        static_cast<Core*>(opaque)->on_delivery(m);
    }

    static void on_rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
        static_cast<Core*>(opaque)->on_rebalance(rk, err, partitions);
    }

    // ---- start ----------------------------------------------------------------------

    void run_start(sdk::Done done) {
        std::error_code ec;
        try {
            ec = prepare();
        } catch (const std::exception& e) {
            log_.error(std::string("start failed: ") + e.what());
            ec = relay_error(sdk::Errc::unavailable);
        }
        if (!ec) {
            State expected = State::starting;
            if (!state_.compare_exchange_strong(expected, State::running)) {
                ec = relay_error(sdk::Errc::shutting_down);
            }
        }
        post_done(std::move(done), ec);
    }

    bool still_starting() const { return state_.load() == State::starting; }

    std::error_code prepare() {
        producer_thread_ = std::thread([this] { run_producer(); });
        const auto deadline = Clock::now() + settings_.admin_timeout;

        int brokers = 0;
        int partitions = 0;
        if (auto ec = inspect_cluster(deadline, brokers, partitions)) return ec;
        if (partitions == 0) {
            // Each step has admin_timeout of its own: a CreateTopics that times out
            // must leave time to find the auto-created topic.
            if (settings_.create_topic) {
                create_topic(brokers, Clock::now() + settings_.admin_timeout);
            } else {
                log_.info("topic '" + settings_.topic +
                          "' does not exist and queue.create_topic is false; relying on the "
                          "brokers' auto-creation");
            }
            partitions = wait_for_topic(Clock::now() + settings_.admin_timeout);
            if (partitions == 0) {
                log_.error("topic '" + settings_.topic +
                           "' does not exist and was not created within queue.admin_timeout (" +
                           describe(settings_.admin_timeout) +
                           "); create it, or allow queue.create_topic");
                return relay_error(sdk::Errc::unavailable);
            }
            if (partitions < settings_.partitions) warn_fewer_partitions(partitions);
        }
        partition_count_.store(partitions);
        producer_topic_.reset(
            rd_kafka_topic_new(producer_.get(), settings_.topic.c_str(), nullptr));
        if (!producer_topic_) {
            log_.error("cannot open topic '" + settings_.topic +
                       "': " + rd_kafka_err2str(rd_kafka_last_error()));
            return relay_error(sdk::Errc::unavailable);
        }

        bool broadcast = false;
        bool store = false;
        {
            std::lock_guard lock(setup_mutex_);
            broadcast = !broadcast_.empty();
            store = static_cast<bool>(store_);
        }
        if (broadcast && still_starting()) {
            if (auto ec = start_broadcast(partitions, Clock::now() + settings_.admin_timeout)) {
                return ec;
            }
        }
        if (store && still_starting()) {
            if (auto ec = start_store()) return ec;
        }
        broker_health_.start(partitions, [this] { return outstanding_.load(); });
        log_.info("started: brokers " + settings_.brokers + ", topic '" + settings_.topic +
                  "' with " + std::to_string(partitions) + " partition(s)" +
                  (broadcast ? ", broadcasting every partition" : "") +
                  (store ? ", storing in consumer group '" + settings_.store_group + "'" : ""));
        return {};
    }

    /// Reads the cluster's metadata: how many brokers, and the topic's partitions (0
    /// when it does not exist). All topics are asked for, which never auto-creates one.
    std::error_code inspect_cluster(Clock::time_point deadline, int& brokers, int& partitions) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err =
            rd_kafka_metadata(producer_.get(), 1, nullptr, &raw, remaining_ms(deadline));
        MetadataPtr metadata(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_.error("cannot reach the Kafka cluster at " + settings_.brokers +
                       " within queue.admin_timeout (" + describe(settings_.admin_timeout) +
                       "): " + rd_kafka_err2str(err) + "; check queue.brokers");
            return relay_error(sdk::Errc::unavailable);
        }
        brokers = metadata->broker_cnt;
        for (int i = 0; i < metadata->topic_cnt; ++i) {
            const auto& topic = metadata->topics[i];
            if (settings_.topic == topic.topic && topic.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                partitions = topic.partition_cnt;
            }
        }
        if (partitions > 0 && partitions < settings_.partitions) {
            warn_fewer_partitions(partitions);
        }
        return {};
    }

    void warn_fewer_partitions(int partitions) {
        log_.warn("topic '" + settings_.topic + "' has " + std::to_string(partitions) +
                  " partition(s), fewer than queue.partitions (" +
                  std::to_string(settings_.partitions) + "); going on with " +
                  std::to_string(partitions) +
                  ". Add partitions with Kafka's tools while no node runs, or use a new "
                  "queue.topic");
    }

    /// Creates the topic through the Admin API. A failure is a warning: the topic may
    /// exist by now (another node), or be auto-created on first use.
    void create_topic(int brokers, Clock::time_point deadline) {
        int replication = settings_.replication_factor;
        if (brokers > 0 && replication > brokers) {
            log_.warn("queue.replication_factor is " + std::to_string(replication) +
                      " but the cluster has " + std::to_string(brokers) +
                      " broker(s); creating topic '" + settings_.topic +
                      "' with replication factor " + std::to_string(brokers));
            replication = brokers;
        }
        char errstr[512];
        NewTopicPtr topic(rd_kafka_NewTopic_new(settings_.topic.c_str(), settings_.partitions,
                                                replication, errstr, sizeof errstr));
        std::string problem;
        if (!topic) {
            problem = errstr;
        } else {
            const int timeout = std::max(1, remaining_ms(deadline));
            AdminOptionsPtr options(
                rd_kafka_AdminOptions_new(producer_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
            rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout, errstr,
                                                      sizeof errstr);
            rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout, errstr,
                                                        sizeof errstr);
            QueuePtr queue(rd_kafka_queue_new(producer_.get()));
            rd_kafka_NewTopic_t* topics[] = {topic.get()};
            rd_kafka_CreateTopics(producer_.get(), topics, 1, options.get(), queue.get());
            EventPtr event(rd_kafka_queue_poll(queue.get(), timeout + 1000));
            if (!event) {
                problem = "no answer within queue.admin_timeout";
            } else if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                problem = rd_kafka_event_error_string(event.get());
            } else {
                const auto* result = rd_kafka_event_CreateTopics_result(event.get());
                std::size_t count = 0;
                const auto** results = rd_kafka_CreateTopics_result_topics(result, &count);
                for (std::size_t i = 0; i < count; ++i) {
                    const auto err = rd_kafka_topic_result_error(results[i]);
                    if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
                        err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                        continue;
                    }
                    const char* text = rd_kafka_topic_result_error_string(results[i]);
                    problem =
                        std::string(rd_kafka_err2str(err)) + (text ? std::string(": ") + text : "");
                }
            }
        }
        if (problem.empty()) {
            log_.info("created topic '" + settings_.topic + "' with " +
                      std::to_string(settings_.partitions) + " partitions, replication factor " +
                      std::to_string(replication));
        } else {
            log_.warn("could not create topic '" + settings_.topic + "' (" + problem +
                      "); going on with the existing or auto-created topic. Create it with " +
                      std::to_string(settings_.partitions) +
                      " partitions yourself, or set queue.create_topic: false");
        }
    }

    /// Waits for the topic to show up in the metadata; asking for it by name lets a
    /// broker with auto-creation create it. Returns its partitions, 0 when it did not.
    int wait_for_topic(Clock::time_point deadline) {
        TopicPtr topic(rd_kafka_topic_new(producer_.get(), settings_.topic.c_str(), nullptr));
        while (topic && still_starting()) {
            const rd_kafka_metadata_t* raw = nullptr;
            const auto err = rd_kafka_metadata(producer_.get(), 0, topic.get(), &raw,
                                               std::clamp(remaining_ms(deadline), 1, 1000));
            MetadataPtr metadata(raw);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
                metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                metadata->topics[0].partition_cnt > 0) {
                return metadata->topics[0].partition_cnt;
            }
            if (Clock::now() >= deadline) break;
            // A retry backoff, not synchronisation: the broker is creating the topic.
            std::this_thread::sleep_for(milliseconds(50));
        }
        return 0;
    }

    std::error_code start_broadcast(int partitions, Clock::time_point deadline) {
        ConfPtr conf = make_conf(settings_, Role::broadcast, node_id_,
                                 "relay-broadcast-" + node_id_ + "-" + random_suffix());
        route_callbacks(conf.get());
        broadcast_rk_ = make_consumer(Role::broadcast, std::move(conf));
        rd_kafka_set_log_queue(broadcast_rk_.get(), nullptr);
        rd_kafka_poll_set_consumer(broadcast_rk_.get());

        // Start offsets are fixed here, before start() completes: every message
        // published after start() completed is broadcast, none from before.
        PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
        std::map<std::int32_t, std::int64_t> ends;
        for (std::int32_t p = 0; p < partitions; ++p) {
            std::int64_t offset = RD_KAFKA_OFFSET_BEGINNING;
            if (settings_.broadcast_start == BroadcastStart::end) {
                std::int64_t low = 0;
                std::int64_t high = 0;
                const auto err = rd_kafka_query_watermark_offsets(
                    producer_.get(), settings_.topic.c_str(), p, &low, &high,
                    std::max(1, remaining_ms(deadline)));
                if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    log_.error("cannot read the end offset of " + settings_.topic + "[" +
                               std::to_string(p) +
                               "] within queue.admin_timeout: " + rd_kafka_err2str(err));
                    return relay_error(sdk::Errc::unavailable);
                }
                offset = high;
                ends[p] = high;
            }
            rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset =
                offset;
        }
        const auto err = rd_kafka_assign(broadcast_rk_.get(), list.get());
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_.error(std::string("cannot assign the broadcast subscription: ") +
                       rd_kafka_err2str(err));
            return relay_error(sdk::Errc::unavailable);
        }
        {
            std::lock_guard lock(progress_mutex_);
            broadcast_end_ = std::move(ends);
        }
        broadcast_thread_ = std::thread([this] { run_broadcast(); });
        return {};
    }

    std::error_code start_store() {
        ConfPtr conf = make_conf(settings_, Role::store, node_id_, settings_.store_group);
        route_callbacks(conf.get());
        rd_kafka_conf_set_rebalance_cb(conf.get(), &Core::on_rebalance_cb);
        store_rk_ = make_consumer(Role::store, std::move(conf));
        rd_kafka_set_log_queue(store_rk_.get(), nullptr);
        rd_kafka_poll_set_consumer(store_rk_.get());
        commit_queue_.reset(rd_kafka_queue_new(store_rk_.get()));
        PartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(topics.get(), settings_.topic.c_str(),
                                          RD_KAFKA_PARTITION_UA);
        const auto err = rd_kafka_subscribe(store_rk_.get(), topics.get());
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_.error("cannot join consumer group '" + settings_.store_group +
                       "': " + rd_kafka_err2str(err));
            return relay_error(sdk::Errc::unavailable);
        }
        store_thread_ = std::thread([this] { run_store(); });
        return {};
    }

    // ---- producer: delivery reports -------------------------------------------------

    void run_producer() {
        auto next_flush = Clock::now() + kLogRepeatWindow;
        while (!producer_quit_.load()) {
            rd_kafka_poll(producer_.get(), static_cast<int>(kPollInterval.count() / 2));
            if (!held_.empty()) settle_held(false);
            post_acks();
            if (broker_health_.wants_metadata_probe()) probe_metadata();
            if (Clock::now() >= next_flush) {
                for (const auto& line : repeats_.flush()) log_.warn(line);
                next_flush = Clock::now() + kLogRepeatWindow;
            }
        }
        // What is left after a purge reports quickly; bounded all the same.
        const auto deadline = Clock::now() + milliseconds(2000);
        while (outstanding_.load() > 0 && Clock::now() < deadline) {
            rd_kafka_poll(producer_.get(), 10);
            settle_held(false);
            post_acks();
        }
        settle_held(true);
        post_acks();
    }

    /// While unavailable with nothing waiting: does the cluster answer with a leader
    /// for every partition? Blocks this loop at most kProbeTimeout (nothing flows).
    void probe_metadata() {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(producer_.get(), 0, producer_topic_.get(), &raw,
                                           static_cast<int>(BrokerHealth::kProbeTimeout.count()));
        MetadataPtr metadata(raw);
        bool leaders = err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
                       metadata->topics[0].partition_cnt > 0;
        for (int i = 0; leaders && i < metadata->topics[0].partition_cnt; ++i) {
            leaders = metadata->topics[0].partitions[i].leader >= 0;
        }
        broker_health_.metadata_probe(leaders);
    }

    static bool has_property(const Settings& settings, const std::string& name) {
        return std::any_of(settings.properties.begin(), settings.properties.end(),
                           [&](const auto& property) { return property.first == name; });
    }

    void on_delivery(const rd_kafka_message_t* m) {
        std::unique_ptr<Pending> pending(static_cast<Pending*>(m->_private));
        if (!pending) return;
        Ack ack{std::move(pending->done), {}, {}};
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < 0) {
            // Written, at an offset nobody told us: see settle_held().
            inferred_writes_.add();
            held_.push_back({m->partition, pending->publish_seq, std::move(pending->id),
                             std::move(ack), Clock::now() + kInferredWriteHold});
            settle_held(false);
            return;
        }
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            broker_health_.delivered();
            acked_offsets_.acked(m->partition, pending->publish_seq, m->offset);
            if (!held_.empty()) settle_held(false);
            ack.position = format_position(m->partition, m->offset);
            std::lock_guard lock(progress_mutex_);
            auto& end = acked_end_[m->partition];
            end = std::max(end, m->offset + 1);
        } else {
            const auto status = rd_kafka_message_status(m);
            if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                ack.error = relay_error(sdk::Errc::payload_too_large);
            } else if (status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
                ack.error = relay_error(sdk::Errc::unavailable);
            } else {
                // The brokers may have written it: the outcome is unknown.
                ack.error = relay_error(sdk::Errc::timed_out);
            }
            delivery_failed_.add();
            if (m->err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                broker_health_.delivery_failed(rd_kafka_err2str(m->err));
            }
            if (delivery_failed_.value() % 100 == 1) {
                log_.warn(
                    "delivery of message " + pending->id + " failed: " + rd_kafka_err2str(m->err) +
                    (status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED ? " (not written)"
                                                                 : " (it may have been written)") +
                    "; its sender gets an error ack. Increase queue.message_timeout if "
                    "the brokers are only slow");
            }
        }
        acks_.push_back(std::move(ack));
    }

    /// Decides the acks of writes librdkafka inferred from the brokers' acknowledging a
    /// later message of this producer (AckedOffsets): ok, unless the log has no room
    /// for the message between its neighbours. The later neighbour's own delivery
    /// report comes behind the inference, so an ack is held until both neighbours are
    /// known; after kInferredWriteHold (or with `give_up`) it is trusted as it is.
    void settle_held(bool give_up) {
        const auto now = Clock::now();
        std::erase_if(held_, [&](HeldAck& held) {
            const auto gap = acked_offsets_.gap(held.partition, held.publish_seq);
            if (!gap && !give_up && now < held.until) return false;
            if (gap && gap->empty()) {
                held.ack.error = relay_error(sdk::Errc::unavailable);
                delivery_failed_.add();
                log_.warn("message " + held.id +
                          " was counted as written because the brokers acknowledged a later "
                          "message of this producer, but " +
                          settings_.topic + "[" + std::to_string(held.partition) +
                          "] has no room for it at offset " + std::to_string(gap->first) +
                          "; its sender gets an error ack. These brokers do not check the "
                          "sequence numbers of idempotent producers (librdkafka's mock "
                          "cluster does not)");
            } else {
                // The broadcast carries its position; the ack has none.
                log_.debug("message " + held.id + " acknowledged without an offset");
            }
            acks_.push_back(std::move(held.ack));
            return true;
        });
    }

    void post_acks() {
        if (acks_.empty()) return;
        const auto n = static_cast<std::int64_t>(acks_.size());
        std::int64_t ok = 0;
        for (const auto& ack : acks_) ok += ack.error ? 0 : 1;
        published_.add(static_cast<std::uint64_t>(ok));
        boost::asio::post(executor_,
                          [self = shared_from_this(), acks = std::move(acks_)]() mutable {
                              if (self->closed_.load()) return;
                              for (auto& ack : acks) ack.done(ack.error, std::move(ack.position));
                          });
        acks_.clear();
        in_flight_.sub(n);
        // After the post: stop, seeing zero, posts its completion behind these acks.
        outstanding_.fetch_sub(n);
        notify_progress();
    }

    // ---- broadcast subscription -----------------------------------------------------

    void run_broadcast() {
        rd_kafka_t* rk = broadcast_rk_.get();
        TopicPtr topic(rd_kafka_topic_new(rk, settings_.topic.c_str(), nullptr));
        auto next_check = Clock::now() + settings_.partition_check_interval;
        std::vector<sdk::Message> batch;
        std::map<std::int32_t, std::int64_t> ends;
        std::uint64_t errors = 0;
        while (!broadcast_quit_.load()) {
            MessagePtr m(rd_kafka_consumer_poll(rk, static_cast<int>(kPollInterval.count())));
            while (m) {
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && errors++ % 100 == 0) {
                        log_.warn(std::string("broadcast subscription: ") +
                                  rd_kafka_message_errstr(m.get()));
                    }
                } else {
                    ends[m->partition] = m->offset + 1;
                    if (auto msg = decode(m.get())) batch.push_back(std::move(*msg));
                }
                if (batch.size() >= kMaxBroadcastBatch) break;
                m.reset(rd_kafka_consumer_poll(rk, 0));
            }
            if (!batch.empty()) {
                post_broadcast(std::move(batch));
                batch.clear();
            }
            if (!ends.empty()) {
                {
                    std::lock_guard lock(progress_mutex_);
                    for (const auto& [p, end] : ends) {
                        auto& known = broadcast_end_[p];
                        known = std::max(known, end);
                    }
                }
                ends.clear();
                notify_progress();
            }
            if (Clock::now() >= next_check && topic) {
                check_partitions(rk, topic.get());
                next_check = Clock::now() + settings_.partition_check_interval;
            }
        }
        topic.reset();
        close_consumer(rk, "broadcast");
    }

    void post_broadcast(std::vector<sdk::Message> batch) {
        boost::asio::post(executor_, [self = shared_from_this(), batch = std::move(batch)] {
            if (self->closed_.load()) return;
            for (const auto& msg : batch) {
                for (const auto& handler : self->broadcast_) handler(msg);
            }
            self->broadcast_count_.add(batch.size());
        });
    }

    /// Partitions added to the topic are read from their beginning: everything in them
    /// is newer than this node's start.
    void check_partitions(rd_kafka_t* rk, rd_kafka_topic_t* topic) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(rk, 0, topic, &raw, 2000);
        MetadataPtr metadata(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
            metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;  // try again next time; librdkafka reports broker trouble itself
        }
        const int now = metadata->topics[0].partition_cnt;
        const int before = partition_count_.load();
        if (now <= before) return;
        PartitionListPtr added(rd_kafka_topic_partition_list_new(now - before));
        for (int p = before; p < now; ++p) {
            rd_kafka_topic_partition_list_add(added.get(), settings_.topic.c_str(), p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        }
        ErrorPtr error(rd_kafka_incremental_assign(rk, added.get()));
        if (error) {
            log_.warn(std::string("cannot read the topic's new partitions: ") +
                      rd_kafka_error_string(error.get()));
            return;
        }
        partition_count_.store(now);
        broker_health_.set_partitions(now);
        log_.info("topic '" + settings_.topic + "' grew from " + std::to_string(before) + " to " +
                  std::to_string(now) + " partitions; broadcasting from the new ones too");
    }

    std::optional<sdk::Message> decode(const rd_kafka_message_t* m) {
        std::string why;
        auto msg = decode_record(
            std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0), &why);
        if (!msg) {
            bad_records_.add();
            if (bad_records_.value() % 1000 == 1) {
                log_.warn("skipped a record that is not a Relay message at " + settings_.topic +
                          "[" + std::to_string(m->partition) + "]@" + std::to_string(m->offset) +
                          ": " + why);
            }
            return std::nullopt;
        }
        msg->position = format_position(m->partition, m->offset);
        return msg;
    }

    // ---- store subscription ---------------------------------------------------------

    void run_store() {
        rd_kafka_t* rk = store_rk_.get();
        std::uint64_t errors = 0;
        std::uint64_t failures_in_a_row = 0;
        joining_since_ = Clock::now();
        while (!store_quit_.load()) {
            serve_commits(0);
            commit_pending();
            warn_if_still_joining();

            std::vector<sdk::Message> batch;
            std::map<std::int32_t, Span> spans;
            std::size_t records = 0;
            MessagePtr m(rd_kafka_consumer_poll(rk, static_cast<int>(kPollInterval.count())));
            while (m) {
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && errors++ % 100 == 0) {
                        log_.warn(std::string("store subscription: ") +
                                  rd_kafka_message_errstr(m.get()));
                    }
                } else {
                    auto [it, fresh] = spans.try_emplace(m->partition, Span{m->offset, m->offset});
                    it->second.end = m->offset + 1;
                    if (auto msg = decode(m.get())) batch.push_back(std::move(*msg));
                    if (++records >= settings_.store_batch_max) break;
                }
                m.reset(rd_kafka_consumer_poll(rk, 0));
            }
            if (spans.empty()) continue;
            if (!batch.empty()) {
                const std::size_t n = batch.size();
                const auto result = hand_to_store(std::move(batch));
                if (!result) break;  // stop gave up waiting
                if (*result) {
                    store_retries_.add();
                    if (failures_in_a_row++ % 50 == 0) {
                        log_.warn("store commit failed (" + result->message() + "); redelivering " +
                                  std::to_string(n) + " message(s) in " +
                                  describe(settings_.store_retry_delay));
                    }
                    seek_back(rk, spans);
                    wait_retry_delay();
                    continue;
                }
                failures_in_a_row = 0;
                stored_count_.add(n);
            }
            for (const auto& [p, span] : spans) {
                auto& end = to_commit_[p];
                end = std::max(end, span.end);
            }
            commit_pending();
        }
        flush_commits(Clock::now() + milliseconds(2000));
        close_consumer(rk, "store");
    }

    /// Says so once when the store group has not answered this node's join for long:
    /// until it does, nothing this node reads is stored, and librdkafka shows nothing.
    void warn_if_still_joining() {
        if (!joining_since_ || join_warned_) return;
        const auto waited = Clock::now() - *joining_since_;
        if (waited < std::max(kJoinWarningAfter, 3 * settings_.store_session_timeout)) return;
        join_warned_ = true;
        log_.warn("store group '" + settings_.store_group + "': no assignment (not even an " +
                  "empty one) " + describe(std::chrono::duration_cast<milliseconds>(waited)) +
                  " after joining; this node stores nothing until the group coordinator " +
                  "answers (librdkafka waits up to max.poll.interval.ms for it)");
    }

    /// Hands a batch to the store handler on the executor and waits for its commit.
    /// nullopt when stop gave up waiting.
    std::optional<std::error_code> hand_to_store(std::vector<sdk::Message> batch) {
        auto slot = std::make_shared<CommitSlot>();
        {
            std::lock_guard lock(slot_mutex_);
            slot_ = slot;
        }
        boost::asio::post(executor_,
                          [self = shared_from_this(), batch = std::move(batch), slot]() mutable {
                              if (self->closed_.load()) return;
                              self->store_(std::move(batch), [slot](std::error_code ec) {
                                  std::lock_guard lock(slot->mutex);
                                  if (slot->result)
                                      return;  // a second commit of one batch is ignored
                                  slot->result = ec;
                                  slot->cv.notify_all();
                              });
                          });
        std::unique_lock lock(slot->mutex);
        slot->cv.wait(lock, [&] { return slot->result.has_value() || abandon_.load(); });
        std::optional<std::error_code> result = slot->result;
        lock.unlock();
        std::lock_guard slot_lock(slot_mutex_);
        slot_.reset();
        return result;
    }

    void abandon_store() {
        abandon_.store(true);
        std::shared_ptr<CommitSlot> slot;
        {
            std::lock_guard lock(slot_mutex_);
            slot = slot_;
        }
        if (slot) {
            std::lock_guard lock(slot->mutex);
            slot->cv.notify_all();
        }
        retry_cv_.notify_all();
    }

    void seek_back(rd_kafka_t* rk, const std::map<std::int32_t, Span>& spans) {
        PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(spans.size())));
        for (const auto& [p, span] : spans) {
            rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset =
                span.first;
        }
        ErrorPtr error(rd_kafka_seek_partitions(rk, list.get(), 2000));
        if (error) {
            log_.warn(std::string("cannot seek back to redeliver a store batch: ") +
                      rd_kafka_error_string(error.get()));
        }
    }

    void wait_retry_delay() {
        std::unique_lock lock(retry_mutex_);
        retry_cv_.wait_for(lock, settings_.store_retry_delay, [&] { return abandon_.load(); });
    }

    /// Commits the stored offsets not committed yet; one commit in flight at a time,
    /// so commits coalesce when the store is fast.
    void commit_pending() {
        if (commit_in_flight_ || to_commit_.empty() || Clock::now() < next_commit_) return;
        PartitionListPtr list(
            rd_kafka_topic_partition_list_new(static_cast<int>(to_commit_.size())));
        {
            std::lock_guard lock(progress_mutex_);
            for (const auto& [p, end] : to_commit_) {
                auto it = committed_end_.find(p);
                if (it != committed_end_.end() && it->second >= end) continue;
                rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset =
                    end;
            }
        }
        if (list->cnt == 0) return;
        const auto err = rd_kafka_commit_queue(store_rk_.get(), list.get(), commit_queue_.get(),
                                               nullptr, nullptr);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (commit_errors_++ % 100 == 0) {
                log_.warn(std::string("cannot commit store offsets: ") + rd_kafka_err2str(err) +
                          "; retrying");
            }
            next_commit_ = Clock::now() + kCommitRetryDelay;
            return;
        }
        commit_in_flight_ = true;
    }

    /// Serves commit results for up to `timeout_ms`.
    void serve_commits(int timeout_ms) {
        for (;;) {
            EventPtr event(rd_kafka_queue_poll(commit_queue_.get(), timeout_ms));
            if (!event) return;
            timeout_ms = 0;
            if (rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_OFFSET_COMMIT) continue;
            commit_in_flight_ = false;
            const auto* offsets = rd_kafka_event_topic_partition_list(event.get());
            const auto err = rd_kafka_event_error(event.get());
            bool committed = false;
            if (offsets) {
                std::lock_guard lock(progress_mutex_);
                for (int i = 0; i < offsets->cnt; ++i) {
                    const auto& e = offsets->elems[i];
                    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR || e.offset < 0) continue;
                    auto& end = committed_end_[e.partition];
                    end = std::max(end, e.offset);
                    committed = true;
                }
            }
            if (committed) notify_progress();
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                // Retried after a pause (a rebalance in progress refuses commits until
                // it completes); what is never committed is redelivered, not lost.
                next_commit_ = Clock::now() + kCommitRetryDelay;
                if (err != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS && commit_errors_++ % 100 == 0) {
                    log_.warn(std::string("committing store offsets failed: ") +
                              rd_kafka_event_error_string(event.get()) + "; retrying");
                }
            }
        }
    }

    /// Commits what is pending and waits for the answer, retrying failures, until
    /// `deadline`; with `once`, a failure is not retried.
    void flush_commits(Clock::time_point deadline, bool once = false) {
        next_commit_ = Clock::time_point{};
        commit_pending();
        while (commit_in_flight_ && Clock::now() < deadline) {
            serve_commits(std::max(1, std::min(100, remaining_ms(deadline))));
            if (!commit_in_flight_ && !once) commit_pending();
        }
    }

    void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* partitions) {
        const char* protocol = rd_kafka_rebalance_protocol(rk);
        const bool cooperative = protocol && std::string_view(protocol) == "COOPERATIVE";
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            if (cooperative) {
                ErrorPtr error(rd_kafka_incremental_assign(rk, partitions));
            } else {
                rd_kafka_assign(rk, partitions);
            }
            assigned_.add(partitions->cnt);
            joining_since_.reset();
            join_warned_ = false;
            log_.info("store group '" + settings_.store_group + "': assigned partition(s) " +
                      partition_list(partitions) + " (" + std::to_string(assigned_.value()) +
                      " in all)");
            return;
        }
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            log_.info("store group '" + settings_.store_group + "': partition(s) " +
                      partition_list(partitions) + " revoked (moving to another member)");
        }
        // Revoked (or a rebalance error): one attempt to commit what was stored before
        // letting go, so that the next owner does not redeliver it. A group that is
        // already rebalancing may refuse it: then the next owner stores those messages
        // again (the store is idempotent by id).
        flush_commits(Clock::now() + milliseconds(1000), /*once=*/true);
        for (int i = 0; i < partitions->cnt; ++i) to_commit_.erase(partitions->elems[i].partition);
        joining_since_ = Clock::now();  // an assignment (maybe empty) ends every rebalance
        if (cooperative) {
            assigned_.sub(partitions->cnt);
            ErrorPtr error(rd_kafka_incremental_unassign(rk, partitions));
        } else {
            assigned_.set(0);
            rd_kafka_assign(rk, nullptr);
        }
    }

    // ---- read_after -----------------------------------------------------------------

    void run_reader() {
        ConsumerPtr rk;
        TopicPtr topic;
        try {
            ConfPtr conf = make_conf(settings_, Role::reader, node_id_,
                                     "relay-reader-" + node_id_ + "-" + random_suffix());
            route_callbacks(conf.get());
            rk = make_consumer(Role::reader, std::move(conf));
            rd_kafka_set_log_queue(rk.get(), nullptr);
            rd_kafka_poll_set_consumer(rk.get());
            topic.reset(rd_kafka_topic_new(rk.get(), settings_.topic.c_str(), nullptr));
        } catch (const std::exception& e) {
            log_.error(std::string("cannot create the reader for read_after: ") + e.what());
            rk.reset();
        }
        for (;;) {
            ReadRequest request;
            {
                std::unique_lock lock(reader_mutex_);
                reader_cv_.wait(lock, [&] { return reader_quit_.load() || !reads_.empty(); });
                if (reader_quit_.load()) break;
                request = std::move(reads_.front());
                reads_.pop_front();
            }
            if (!rk || !topic) {
                post_read(std::move(request.done), relay_error(sdk::Errc::unavailable), {});
                continue;
            }
            auto [ec, found] = read(rk.get(), topic.get(), request);
            post_read(std::move(request.done), ec, std::move(found));
        }
        topic.reset();
        if (rk) close_consumer(rk.get(), "reader");
    }

    /// Serves one read_after: finds the message `after_id` in the room's partition,
    /// then collects the room's messages after it, up to the end of the log as it was
    /// when asked (see the class comment for where the search starts and ends).
    std::pair<std::error_code, std::vector<sdk::Message>> read(rd_kafka_t* rk,
                                                               rd_kafka_topic_t* topic,
                                                               const ReadRequest& request) {
        if (request.after_id.empty()) return {relay_error(sdk::Errc::invalid_argument), {}};
        const auto deadline = Clock::now() + settings_.read_timeout;
        const rd_kafka_metadata_t* raw = nullptr;
        auto err = rd_kafka_metadata(rk, 0, topic, &raw, std::max(1, remaining_ms(deadline)));
        MetadataPtr metadata(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
            metadata->topics[0].partition_cnt <= 0) {
            return {relay_error(sdk::Errc::unavailable), {}};
        }
        // The producer's partitioner: a room's messages are all in this partition while
        // the partition count stays what it is.
        const std::int32_t partition = rd_kafka_msg_partitioner_murmur2_random(
            topic, request.room.data(), request.room.size(), metadata->topics[0].partition_cnt,
            nullptr, nullptr);
        std::int64_t low = 0;
        std::int64_t high = 0;
        err = rd_kafka_query_watermark_offsets(rk, settings_.topic.c_str(), partition, &low, &high,
                                               std::max(1, remaining_ms(deadline)));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return {read_error(err), {}};
        if (high <= low) return {make_error_code(QueueErrc::message_not_found), {}};

        // Where the search starts, and the record time after which it gives up.
        std::int64_t start = low;
        std::optional<std::int64_t> give_up_after;
        if (const auto id_ms = sdk::message_id_time(request.after_id)) {
            give_up_after =
                *id_ms + kClockSkewAllowance.count() + settings_.message_timeout.count();
            const auto from_ms = std::max<std::int64_t>(0, *id_ms - kClockSkewAllowance.count());
            const auto [ec, offset] = find_offset(rk, partition, from_ms, low, high, deadline);
            if (ec) return {ec, {}};
            if (offset < 0) return {make_error_code(QueueErrc::message_not_found), {}};
            start = offset;
        }
        if (start >= high) return {make_error_code(QueueErrc::message_not_found), {}};
        return scan(rk, partition, start, high, give_up_after, request, deadline);
    }

    /// A timestamp lookup that tells "not there" from "cannot say": the first offset
    /// whose record time is at least `ms`, or -1 when every record is older. Brokers
    /// answer it from their time index; librdkafka's mock answers -1 whatever the time
    /// (it implements no lookup by time), so a -1 is checked against the newest record
    /// and, when that one is not older, the search starts at the log's beginning.
    std::pair<std::error_code, std::int64_t> find_offset(rd_kafka_t* rk, std::int32_t partition,
                                                         std::int64_t ms, std::int64_t low,
                                                         std::int64_t high,
                                                         Clock::time_point deadline) {
        PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset =
            ms;
        auto err = rd_kafka_offsets_for_times(rk, list.get(), std::max(1, remaining_ms(deadline)));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return {read_error(err), -1};
        const std::int64_t offset = list->elems[0].offset;
        if (offset >= 0) return {{}, std::max(offset, low)};
        // -1: is the newest record older than `ms`, as the broker says?
        if (!assign_at(rk, partition, high - 1)) return {relay_error(sdk::Errc::unavailable), -1};
        std::error_code ec = relay_error(sdk::Errc::timed_out);
        std::int64_t newest_ms = -1;
        while (Clock::now() < deadline) {
            MessagePtr m(rd_kafka_consumer_poll(rk, std::clamp(remaining_ms(deadline), 1, 100)));
            if (!m) continue;
            if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                ec = make_error_code(QueueErrc::message_not_found);
                break;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->partition != partition ||
                m->offset < high - 1) {
                continue;
            }
            newest_ms = rd_kafka_message_timestamp(m.get(), nullptr);
            ec = {};
            break;
        }
        rd_kafka_assign(rk, nullptr);
        if (ec) return {ec, -1};
        if (newest_ms < ms) return {{}, -1};
        if (!time_lookup_warned_.exchange(true)) {
            log_.debug(
                "the brokers answer no offset for a record time that is in the log (no "
                "time index, e.g. librdkafka's mock cluster); recovery reads search from "
                "the beginning of the partition");
        }
        return {{}, low};
    }

    /// Reads the partition from `start` to `high` (exclusive): first the message
    /// `request.after_id`, then the room's messages after it, at most `request.limit`.
    std::pair<std::error_code, std::vector<sdk::Message>> scan(
        rd_kafka_t* rk, std::int32_t partition, std::int64_t start, std::int64_t high,
        std::optional<std::int64_t> give_up_after, const ReadRequest& request,
        Clock::time_point deadline) {
        if (!assign_at(rk, partition, start)) return {relay_error(sdk::Errc::unavailable), {}};
        std::vector<sdk::Message> found;
        std::error_code ec = make_error_code(QueueErrc::message_not_found);
        bool searching = true;
        std::int64_t next = start;  // records before it were seen (or are stale)
        while (next < high) {
            if (Clock::now() >= deadline) {
                ec = relay_error(sdk::Errc::timed_out);
                break;
            }
            MessagePtr m(rd_kafka_consumer_poll(rk, std::clamp(remaining_ms(deadline), 1, 100)));
            if (!m) continue;
            if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                break;  // retention deleted the records under the search: not found
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->partition != partition ||
                m->offset < next) {
                continue;
            }
            next = m->offset + 1;
            auto msg = decode(m.get());
            if (searching) {
                if (msg && msg->id == request.after_id) {
                    if (msg->room != request.room) break;  // another room's message
                    searching = false;
                    ec = {};
                    if (request.limit == 0) break;
                } else if (give_up_after &&
                           rd_kafka_message_timestamp(m.get(), nullptr) > *give_up_after) {
                    break;  // written well after the message would have been
                }
                continue;
            }
            if (msg && msg->room == request.room) {
                found.push_back(std::move(*msg));
                if (found.size() >= request.limit) break;
            }
        }
        rd_kafka_assign(rk, nullptr);
        if (ec) found.clear();
        return {ec, std::move(found)};
    }

    bool assign_at(rd_kafka_t* rk, std::int32_t partition, std::int64_t offset) {
        PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset =
            offset;
        return rd_kafka_assign(rk, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR;
    }

    static std::error_code read_error(rd_kafka_resp_err_t err) {
        return relay_error(err == RD_KAFKA_RESP_ERR__TIMED_OUT ? sdk::Errc::timed_out
                                                               : sdk::Errc::unavailable);
    }

    // ---- stop -----------------------------------------------------------------------

    void run_stop() {
        join(take(starter_));
        const auto deadline = Clock::now() + settings_.drain_timeout;
        std::error_code result;

        // 1. Every accepted message gets its ack: delivered, or failed by the purge.
        if (!wait_progress(deadline, [&] { return outstanding_.load() == 0; })) {
            log_.warn(std::to_string(outstanding_.load()) +
                      " message(s) not delivered to Kafka within queue.drain_timeout (" +
                      describe(settings_.drain_timeout) +
                      "); their senders get error acks. Increase queue.drain_timeout");
            rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            wait_progress(Clock::now() + milliseconds(5000),
                          [&] { return outstanding_.load() == 0; });
            result = relay_error(sdk::Errc::timed_out);
        }
        producer_quit_.store(true);
        join(producer_thread_);

        // 2. The subscriptions catch up with what this node acked.
        std::map<std::int32_t, std::int64_t> targets;
        {
            std::lock_guard lock(progress_mutex_);
            targets = acked_end_;
        }
        const bool broadcast = broadcast_thread_.joinable();
        const bool store = store_thread_.joinable();
        std::set<std::int32_t> committed_by_group;  // committed by another node's consumer
        auto next_query = Clock::now() + milliseconds(200);
        for (;;) {
            std::size_t broadcast_behind = 0;
            std::vector<std::int32_t> store_behind;
            {
                std::lock_guard lock(progress_mutex_);
                for (const auto& [p, target] : targets) {
                    if (broadcast && end_of(broadcast_end_, p) < target) ++broadcast_behind;
                    if (store && end_of(committed_end_, p) < target &&
                        !committed_by_group.count(p)) {
                        store_behind.push_back(p);
                    }
                }
            }
            if (broadcast_behind == 0 && store_behind.empty()) break;
            if (Clock::now() >= deadline) {
                log_.warn(drain_timeout_warning(settings_.drain_timeout, store_behind.size(),
                                                broadcast_behind));
                result = relay_error(sdk::Errc::timed_out);
                break;
            }
            if (!store_behind.empty() && Clock::now() >= next_query) {
                // A partition assigned to another node is committed by that node.
                query_group(store_behind, targets, committed_by_group, deadline);
                next_query = Clock::now() + milliseconds(200);
            }
            std::unique_lock lock(progress_mutex_);
            progress_cv_.wait_for(lock, milliseconds(20));
        }

        // 3. Close.
        abandon_store();
        quit_all();
        release_handles();
        state_.store(State::stopped);

        // 4. Complete behind everything posted so far; nothing is posted after.
        std::vector<sdk::Done> waiters;
        {
            std::lock_guard lock(stop_mutex_);
            waiters = std::move(stop_waiters_);
            stop_waiters_.clear();
            stop_finished_ = true;
        }
        boost::asio::post(executor_,
                          [self = shared_from_this(), waiters = std::move(waiters), result] {
                              self->closed_.store(true);
                              for (const auto& done : waiters) done(result);
                          });
    }

    void query_group(const std::vector<std::int32_t>& partitions,
                     const std::map<std::int32_t, std::int64_t>& targets,
                     std::set<std::int32_t>& committed, Clock::time_point deadline) {
        PartitionListPtr list(
            rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
        for (const auto p : partitions) {
            rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p);
        }
        const auto err = rd_kafka_committed(store_rk_.get(), list.get(),
                                            std::clamp(remaining_ms(deadline), 1, 500));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return;
        for (int i = 0; i < list->cnt; ++i) {
            const auto& e = list->elems[i];
            auto it = targets.find(e.partition);
            if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && it != targets.end() &&
                e.offset >= it->second) {
                committed.insert(e.partition);
            }
        }
    }

    static std::string partition_list(const rd_kafka_topic_partition_list_t* partitions) {
        std::string list;
        for (int i = 0; i < partitions->cnt; ++i) {
            list += (i == 0 ? "" : ", ") + std::to_string(partitions->elems[i].partition);
        }
        return list.empty() ? std::string("none") : list;
    }

    static std::int64_t end_of(const std::map<std::int32_t, std::int64_t>& ends, std::int32_t p) {
        auto it = ends.find(p);
        return it == ends.end() ? -1 : it->second;
    }

    /// Stops every client thread and joins it (consumers close on their own thread).
    void quit_all() {
        producer_quit_.store(true);
        broadcast_quit_.store(true);
        store_quit_.store(true);
        std::thread reader;
        std::deque<ReadRequest> unanswered;
        {
            std::lock_guard lock(reader_mutex_);
            reader_quit_.store(true);
            reader_closed_ = true;
            reader = std::move(reader_thread_);
        }
        reader_cv_.notify_all();
        join(producer_thread_);
        join(broadcast_thread_);
        join(store_thread_);
        join(reader);
        {
            std::lock_guard lock(reader_mutex_);
            unanswered = std::move(reads_);
            reads_.clear();
        }
        for (auto& request : unanswered) {
            post_read(std::move(request.done), relay_error(sdk::Errc::shutting_down), {});
        }
    }

    void release_handles() {
        broker_health_.stop();
        producer_topic_.reset();
        commit_queue_.reset();
        broadcast_rk_.reset();
        store_rk_.reset();
        producer_.reset();
        shut_down_ = true;
    }

    /// Closes a consumer, bounded: a broker that is down must not hold up stop.
    void close_consumer(rd_kafka_t* rk, const char* label) {
        QueuePtr queue(rd_kafka_queue_new(rk));
        ErrorPtr error(rd_kafka_consumer_close_queue(rk, queue.get()));
        if (error) {
            log_.warn(std::string("closing the ") + label +
                      " consumer failed: " + rd_kafka_error_string(error.get()));
            return;
        }
        const auto deadline = Clock::now() + kCloseTimeout;
        while (!rd_kafka_consumer_closed(rk)) {
            if (Clock::now() >= deadline) {
                log_.warn(std::string("the ") + label + " consumer did not close within " +
                          describe(kCloseTimeout) + "; going on");
                return;
            }
            EventPtr event(rd_kafka_queue_poll(queue.get(), 100));
            if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
                rd_kafka_assign(rk, nullptr);
            }
        }
        if (rk == store_rk_.get()) assigned_.set(0);
    }

    // ---- helpers --------------------------------------------------------------------

    template <class Pred>
    bool wait_progress(Clock::time_point deadline, Pred done) {
        std::unique_lock lock(progress_mutex_);
        return progress_cv_.wait_until(lock, deadline, done);
    }

    void notify_progress() {
        { std::lock_guard lock(progress_mutex_); }
        progress_cv_.notify_all();
    }

    void post_done(sdk::Done done, std::error_code ec) {
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec); });
    }

    void reject(sdk::PublishDone done, std::error_code ec) {
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
    }

    void post_read(sdk::ReadDone done, std::error_code ec, std::vector<sdk::Message> found) {
        boost::asio::post(executor_,
                          [done = std::move(done), ec, found = std::move(found)]() mutable {
                              done(ec, std::move(found));
                          });
    }

    std::thread take(std::thread& thread) {
        std::lock_guard lock(stop_mutex_);
        return std::move(thread);
    }

    static void join(std::thread& thread) {
        if (thread.joinable()) thread.join();
    }
    static void join(std::thread&& thread) {
        if (thread.joinable()) thread.join();
    }

    const Settings settings_;
    const sdk::Executor executor_;
    sdk::Logger& log_;
    const std::string node_id_;
    RepeatFilter repeats_{kLogRepeatWindow};
    BrokerHealth broker_health_;
    sdk::Counter& published_;
    sdk::Counter& queue_full_;
    sdk::Counter& delivery_failed_;
    sdk::Counter& inferred_writes_;
    sdk::Counter& broadcast_count_;
    sdk::Counter& stored_count_;
    sdk::Counter& store_retries_;
    sdk::Counter& bad_records_;
    sdk::Gauge& in_flight_;
    sdk::Gauge& assigned_;

    // Subscribers: set before start(), read-only afterwards.
    std::mutex setup_mutex_;
    std::vector<sdk::BroadcastHandler> broadcast_;
    sdk::StoreHandler store_;

    std::atomic<State> state_{State::created};
    std::atomic<std::int64_t> outstanding_{0};  // publishes not yet acked
    std::atomic<int> partition_count_{0};
    std::atomic<std::uint64_t> publish_errors_{0};  // for rate-limited warnings
    std::mutex produce_mutex_;
    std::uint64_t next_publish_seq_ = 0;  // guarded by produce_mutex_
    AckedOffsets acked_offsets_;          // the producer's poll loop only
    std::vector<HeldAck> held_;           // the producer's poll loop only
    std::atomic<bool> time_lookup_warned_{false};

    // Handles, released only once every thread using them was joined.
    HandlePtr producer_;
    TopicPtr producer_topic_;
    ConsumerPtr broadcast_rk_;
    ConsumerPtr store_rk_;
    QueuePtr commit_queue_;

    // Progress, for stop: next offsets after what was acked, broadcast, committed.
    std::mutex progress_mutex_;
    std::condition_variable progress_cv_;
    std::map<std::int32_t, std::int64_t> acked_end_;
    std::map<std::int32_t, std::int64_t> broadcast_end_;
    std::map<std::int32_t, std::int64_t> committed_end_;

    // Producer thread only.
    std::vector<Ack> acks_;

    // Store thread only.
    std::map<std::int32_t, std::int64_t> to_commit_;  // stored, to be committed
    bool commit_in_flight_ = false;
    Clock::time_point next_commit_{};
    std::uint64_t commit_errors_ = 0;
    std::optional<Clock::time_point> joining_since_;  // set while waiting for an assignment
    bool join_warned_ = false;

    std::mutex slot_mutex_;
    std::shared_ptr<CommitSlot> slot_;
    std::mutex retry_mutex_;
    std::condition_variable retry_cv_;

    // Reader.
    std::mutex reader_mutex_;
    std::condition_variable reader_cv_;
    std::deque<ReadRequest> reads_;
    bool reader_closed_ = false;
    std::thread reader_thread_;

    // Thread control.
    std::atomic<bool> producer_quit_{false};
    std::atomic<bool> broadcast_quit_{false};
    std::atomic<bool> store_quit_{false};
    std::atomic<bool> reader_quit_{false};
    std::atomic<bool> abandon_{false};  // stop no longer waits for the store's commit
    std::atomic<bool> closed_{false};   // nothing more reaches the host
    bool shut_down_ = false;

    std::mutex stop_mutex_;  // guards starter_, stopper_, the waiters
    std::vector<sdk::Done> stop_waiters_;
    bool stop_finished_ = false;
    std::thread starter_;
    std::thread stopper_;
    std::thread producer_thread_;
    std::thread broadcast_thread_;
    std::thread store_thread_;
};

KafkaQueue::KafkaQueue(Settings settings, sdk::PluginContext& ctx)
    : core_(std::make_shared<Core>(std::move(settings), ctx)) {}

KafkaQueue::~KafkaQueue() {
    core_->shutdown();
}

void KafkaQueue::subscribe_broadcast(sdk::BroadcastHandler handler) {
    core_->subscribe_broadcast(std::move(handler));
}

void KafkaQueue::subscribe_store(sdk::StoreHandler handler) {
    core_->subscribe_store(std::move(handler));
}

void KafkaQueue::start(sdk::Done done) {
    core_->start(std::move(done));
}

void KafkaQueue::publish(sdk::Message msg, sdk::PublishDone done) {
    core_->publish(std::move(msg), std::move(done));
}

void KafkaQueue::read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                            sdk::ReadDone done) {
    core_->read_after(std::string(room), std::string(after_id), limit, std::move(done));
}

void KafkaQueue::stop(sdk::Done done) {
    core_->stop(std::move(done));
}

}  // namespace relay::plugins::kafka
