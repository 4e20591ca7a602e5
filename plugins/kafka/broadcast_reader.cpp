#include "broadcast_reader.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <utility>

namespace relay::plugins::kafka {

BroadcastReader::BroadcastReader(const Settings& settings, std::string node_id,
                                 sdk::Executor executor, sdk::Logger& log, sdk::Metrics& metrics,
                                 ClientLog& client_log, RecordDecoder& decoder,
                                 BrokerHealth& broker_health, HostPost post,
                                 std::function<void()> on_progress)
    : settings_(settings),
      node_id_(std::move(node_id)),
      log_(log),
      client_log_(client_log),
      decoder_(decoder),
      broker_health_(broker_health),
      broadcast_count_(
          metrics.counter("kafka_broadcast_total", "messages handed to broadcast subscribers")),
      post_(std::move(post)),
      on_progress_(std::move(on_progress)),
      wakeup_(std::move(executor)) {}

BroadcastReader::~BroadcastReader() {
    request_quit();
    join();
}

void BroadcastReader::add_handler(sdk::BroadcastHandler handler) {
    std::lock_guard lock(handlers_mutex_);
    if (handler) handlers_.push_back(std::move(handler));
}

bool BroadcastReader::has_handlers() {
    std::lock_guard lock(handlers_mutex_);
    return !handlers_.empty();
}

std::error_code BroadcastReader::start(int partitions,
                                       const std::map<std::int32_t, std::int64_t>& start_offsets) {
    ConfPtr conf = make_conf(settings_, Role::broadcast, node_id_,
                             "relay-broadcast-" + node_id_ + "-" + random_suffix());
    ClientLog::route(conf.get(), *this);
    rk_ = make_consumer(Role::broadcast, std::move(conf));

    PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
    for (std::int32_t p = 0; p < partitions; ++p) {
        const auto it = start_offsets.find(p);
        rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset =
            it == start_offsets.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
    }
    const auto err = rd_kafka_assign(rk_.get(), list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_.error(std::string("cannot assign the broadcast subscription: ") +
                   rd_kafka_err2str(err));
        return sdk::make_error_code(sdk::Errc::unavailable);
    }
    {
        std::lock_guard lock(ends_mutex_);
        ends_ = start_offsets;
    }
    partitions_ = partitions;
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
    (void)wakeup_.attach(queue_.get(), [this] { return serve(); });
    thread_ = std::thread([this] { run(); });
    return {};
}

void BroadcastReader::request_quit() noexcept {
    {
        std::lock_guard lock(quit_mutex_);
        quit_.store(true);
    }
    quit_cv_.notify_all();
}

std::int64_t BroadcastReader::read_end(std::int32_t partition) {
    std::lock_guard lock(ends_mutex_);
    const auto it = ends_.find(partition);
    return it == ends_.end() ? -1 : it->second;
}

void BroadcastReader::join() {
    if (thread_.joinable()) thread_.join();
}

void BroadcastReader::run() {
    rd_kafka_t* rk = rk_.get();
    TopicPtr topic(rd_kafka_topic_new(rk, settings_.topic.c_str(), nullptr));
    auto next_check = Clock::now() + settings_.partition_check_interval;
    std::vector<sdk::Message> batch;
    std::map<std::int32_t, std::int64_t> ends;
    while (!quit_.load()) {
        if (wakeup_.attached()) {
            std::unique_lock lock(quit_mutex_);
            quit_cv_.wait_until(lock, next_check, [this] { return quit_.load(); });
        } else {
            (void)take_records(kPollInterval, batch, ends);
            if (!batch.empty()) {
                post_batch(std::move(batch));
                batch.clear();
            }
            // After the post: stop, seeing the ends, posts its completion behind it.
            note_ends(ends);
        }
        if (Clock::now() >= next_check && topic && !quit_.load()) {
            check_partitions(rk, topic.get());
            next_check = Clock::now() + settings_.partition_check_interval;
        }
    }
    wakeup_.detach();
    topic.reset();
    close_consumer(rk, "broadcast", log_);
}

/// On the executor (QueueWakeup): the records go to the handlers here and now.
bool BroadcastReader::serve() {
    std::vector<sdk::Message> batch;
    std::map<std::int32_t, std::int64_t> ends;
    const bool full = take_records(std::chrono::milliseconds(0), batch, ends);
    if (!batch.empty()) hand_over(batch);
    note_ends(ends);
    return full;
}

bool BroadcastReader::take_records(std::chrono::milliseconds wait, std::vector<sdk::Message>& batch,
                                   std::map<std::int32_t, std::int64_t>& ends) {
    bool full = false;
    poll_records(rk_.get(), wait, "broadcast subscription", poll_errors_, log_,
                 [&](const rd_kafka_message_t* m) {
                     ends[m->partition] = m->offset + 1;
                     if (auto msg = decoder_.decode(m, RecordDecoder::Skips::count))
                         batch.push_back(std::move(*msg));
                     full = batch.size() >= kMaxBroadcastBatch;
                     return !full;
                 });
    return full;
}

void BroadcastReader::note_ends(std::map<std::int32_t, std::int64_t>& ends) {
    if (ends.empty()) return;
    {
        std::lock_guard lock(ends_mutex_);
        for (const auto& [p, end] : ends) {
            auto& known = ends_[p];
            known = std::max(known, end);
        }
    }
    ends.clear();
    on_progress_();
}

void BroadcastReader::hand_over(const std::vector<sdk::Message>& batch) {
    // Handlers are read-only once started: the executor reads them without a lock.
    for (const auto& msg : batch) {
        for (const auto& handler : handlers_) handler(msg);
    }
    broadcast_count_.add(batch.size());
}

void BroadcastReader::post_batch(std::vector<sdk::Message> batch) {
    post_([this, batch = std::move(batch)] { hand_over(batch); });
}

/// Partitions added to the topic are read from their beginning: everything in them
/// is newer than this node's start.
void BroadcastReader::check_partitions(rd_kafka_t* rk, rd_kafka_topic_t* topic) {
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk, 0, topic, &raw, 2000);
    MetadataPtr metadata(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
        metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;  // try again next time; librdkafka reports broker trouble itself
    }
    const int now = metadata->topics[0].partition_cnt;
    const int before = partitions_;
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
    partitions_ = now;
    broker_health_.set_partitions(now);
    log_.info("topic '" + settings_.topic + "' grew from " + std::to_string(before) + " to " +
              std::to_string(now) + " partitions; broadcasting from the new ones too");
}

}  // namespace relay::plugins::kafka
