#include "message_producer.hpp"

#include "record.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <memory>
#include <utility>

namespace relay::plugins::kafka {

namespace {

std::error_code relay_error(sdk::Errc e) {
    return sdk::make_error_code(e);
}

bool has_property(const Settings& settings, const std::string& name) {
    return std::any_of(settings.properties.begin(), settings.properties.end(),
                       [&](const auto& property) { return property.first == name; });
}

}  // namespace

MessageProducer::MessageProducer(const Settings& settings, const std::string& node_id,
                                 sdk::Executor executor, sdk::Logger& log, sdk::Metrics& metrics,
                                 ClientLog& client_log, BrokerHealth& broker_health, HostPost post,
                                 std::function<void()> on_progress)
    : settings_(settings),
      executor_(std::move(executor)),
      log_(log),
      client_log_(client_log),
      broker_health_(broker_health),
      post_(std::move(post)),
      on_progress_(std::move(on_progress)),
      published_(
          metrics.counter("kafka_published_total", "messages the Kafka brokers acknowledged")),
      queue_full_(metrics.counter("kafka_queue_full_total",
                                  "publishes rejected because the producer queue was full")),
      delivery_failed_(metrics.counter("kafka_delivery_failures_total",
                                       "publishes whose delivery failed or timed out")),
      inferred_writes_(metrics.counter(
          "kafka_inferred_writes_total",
          "acks without an offset: written as the producer inferred from a later ack")),
      in_flight_(metrics.gauge("kafka_in_flight",
                               "messages handed to the producer, not yet acknowledged")) {
    ConfPtr conf = make_conf(settings_, Role::producer, node_id, {});
    ClientLog::route(conf.get(), *this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &MessageProducer::on_delivery_cb);
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
    rd_kafka_conf_set_stats_cb(conf.get(), &MessageProducer::on_stats_cb);
    rk_ = make_handle(Role::producer, std::move(conf));
    rd_kafka_set_log_queue(rk_.get(), nullptr);
}

MessageProducer::~MessageProducer() {
    request_quit();
    join();
}

void MessageProducer::start_polling() {
    queue_.reset(rd_kafka_queue_get_main(rk_.get()));
    (void)wakeup_.attach(queue_.get(), [this] { return serve(); });
    thread_ = std::thread([this] { run(); });
}

void MessageProducer::request_quit() noexcept {
    {
        std::lock_guard lock(quit_mutex_);
        quit_.store(true);
    }
    quit_cv_.notify_all();
}

std::error_code MessageProducer::open_topic() {
    topic_.reset(rd_kafka_topic_new(rk_.get(), settings_.topic.c_str(), nullptr));
    if (!topic_) {
        log_.error("cannot open topic '" + settings_.topic +
                   "': " + rd_kafka_err2str(rd_kafka_last_error()));
        return relay_error(sdk::Errc::unavailable);
    }
    return {};
}

void MessageProducer::count_out() {
    outstanding_.fetch_sub(1);
    on_progress_();
}

void MessageProducer::publish(sdk::Message msg, sdk::PublishDone done) {
    const std::string value = encode_record(msg);
    auto pending = std::make_unique<Pending>(Pending{std::move(done), std::move(msg.id), 0});
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    {
        // The publish order must be the producer's message order (AckedOffsets).
        std::lock_guard lock(produce_mutex_);
        pending->publish_seq = next_publish_seq_++;
        // NOLINTBEGIN(cppcoreguidelines-pro-type-vararg,cppcoreguidelines-pro-type-const-cast):
        // librdkafka's producev is variadic; RD_KAFKA_MSG_F_COPY copies the value.
        err = rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(topic_.get()),
                                RD_KAFKA_V_KEY(msg.room.data(), msg.room.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_TIMESTAMP(msg.ts_ms), RD_KAFKA_V_OPAQUE(pending.get()),
                                RD_KAFKA_V_END);
        // NOLINTEND(cppcoreguidelines-pro-type-vararg,cppcoreguidelines-pro-type-const-cast)
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        count_out();
        std::error_code ec;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            queue_full_.add();
            if (queue_full_.value() % 1000 == 1) {
                log_.warn("the producer queue is full (" + std::to_string(settings_.max_in_flight) +
                          " messages waiting for the brokers); publishes fail with "
                          "queue_full. Increase queue.max_in_flight if the "
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
    // Owned by librdkafka until its delivery report (on_delivery takes it back): the
    // analyzer cannot see that.
    // NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
    (void)pending.release();
    in_flight_.add();
    // NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
}

std::map<std::int32_t, std::int64_t> MessageProducer::acked_ends() {
    std::lock_guard lock(acked_mutex_);
    return acked_ends_;
}

void MessageProducer::purge() {
    if (rk_) (void)rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

void MessageProducer::join() {
    if (thread_.joinable()) thread_.join();
}

void MessageProducer::release() noexcept {
    queue_.reset();
    topic_.reset();
    rk_.reset();
}

void MessageProducer::run() {
    auto next_flush = Clock::now() + ClientLog::kLogRepeatWindow;
    while (!quit_.load()) {
        if (wakeup_.attached()) {
            std::unique_lock lock(quit_mutex_);
            quit_cv_.wait_for(lock, kPollInterval, [this] { return quit_.load(); });
        } else {
            rd_kafka_poll(rk_.get(), static_cast<int>(kPollInterval.count()));
        }
        {
            std::lock_guard lock(serve_mutex_);
            if (!held_.empty()) settle_held(false);
            hand_over_acks(false);
        }
        if (broker_health_.wants_metadata_probe()) probe_metadata();
        if (Clock::now() >= next_flush) {
            client_log_.flush();
            next_flush = Clock::now() + ClientLog::kLogRepeatWindow;
        }
    }
    // From here on this thread polls: the executor may be gone.
    wakeup_.detach();
    std::lock_guard lock(serve_mutex_);
    // What is left after a purge reports quickly; bounded all the same.
    const auto deadline = Clock::now() + std::chrono::milliseconds(2000);
    while (outstanding_.load() > 0 && Clock::now() < deadline) {
        rd_kafka_poll(rk_.get(), 10);
        settle_held(false);
        hand_over_acks(false);
    }
    settle_held(true);
    hand_over_acks(false);
}

/// On the executor (QueueWakeup): serves what the queue holds, and runs the acks there.
bool MessageProducer::serve() {
    std::lock_guard lock(serve_mutex_);
    int served = 0;
    bool drained = false;
    while (served < kMaxServedEvents) {
        const int n = rd_kafka_poll(rk_.get(), 0);
        if (n == 0) {
            drained = true;
            break;
        }
        served += n;
    }
    hand_over_acks(true);
    return !drained;
}

/// While unavailable with nothing waiting: does the cluster answer with a leader for
/// every partition? Blocks this loop at most kProbeTimeout (nothing flows).
void MessageProducer::probe_metadata() {
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk_.get(), 0, topic_.get(), &raw,
                                       static_cast<int>(BrokerHealth::kProbeTimeout.count()));
    MetadataPtr metadata(raw);
    bool leaders = err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
                   metadata->topics[0].partition_cnt > 0;
    for (int i = 0; leaders && i < metadata->topics[0].partition_cnt; ++i) {
        leaders = metadata->topics[0].partitions[i].leader >= 0;
    }
    broker_health_.metadata_probe(leaders);
}

void MessageProducer::on_delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    owner_of<MessageProducer>(opaque).on_delivery(m);
}

int MessageProducer::on_stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
    owner_of<MessageProducer>(opaque).broker_health_.statistics(std::string_view(json, len));
    return 0;  // librdkafka frees the text
}

void MessageProducer::on_delivery(const rd_kafka_message_t* m) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(m->_private));
    if (!pending) return;
    Ack ack{std::move(pending->done), {}, {}};
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < 0) {
        // Written, at an offset nobody told us: see settle_held().
        inferred_writes_.add();
        held_.push_back({m->partition, pending->publish_seq, std::move(pending->id), std::move(ack),
                         Clock::now() + kInferredWriteHold});
        settle_held(false);
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        broker_health_.delivered();
        acked_offsets_.acked(m->partition, pending->publish_seq, m->offset);
        if (!held_.empty()) settle_held(false);
        ack.position = format_position(m->partition, m->offset);
        std::lock_guard lock(acked_mutex_);
        auto& end = acked_ends_[m->partition];
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
/// later message of this producer (AckedOffsets): ok, unless the log has no room for
/// the message between its neighbours. The later neighbour's own delivery report comes
/// behind the inference, so an ack is held until both neighbours are known; after
/// kInferredWriteHold (or with `give_up`) it is trusted as it is.
void MessageProducer::settle_held(bool give_up) {
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

/// Runs the acks collected so far on the executor: here and now when `here` (serve()),
/// else posted (the thread).
void MessageProducer::hand_over_acks(bool here) {
    if (acks_.empty()) return;
    const auto n = static_cast<std::int64_t>(acks_.size());
    const auto ok =
        std::count_if(acks_.begin(), acks_.end(), [](const Ack& a) { return !a.error; });
    auto run = [acks = std::exchange(acks_, {})]() mutable {
        for (auto& ack : acks) ack.done(ack.error, std::move(ack.position));
    };
    if (here) {
        run();
    } else {
        post_(std::move(run));
    }
    published_.add(static_cast<std::uint64_t>(ok));
    in_flight_.sub(n);
    // After the acks ran or were posted: stop, seeing zero, posts its completion behind
    // them.
    outstanding_.fetch_sub(n);
    on_progress_();
}

void MessageProducer::reject(sdk::PublishDone done, std::error_code ec) {
    boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
}

}  // namespace relay::plugins::kafka
