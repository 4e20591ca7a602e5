#include "store_consumer.hpp"

#include "log_text.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <string_view>
#include <utility>

namespace relay::plugins::kafka {

namespace {

std::string partition_list(const rd_kafka_topic_partition_list_t* partitions) {
    std::string list;
    for (int i = 0; i < partitions->cnt; ++i) {
        list += (i == 0 ? "" : ", ") + std::to_string(partitions->elems[i].partition);
    }
    return list.empty() ? std::string("none") : list;
}

}  // namespace

StoreConsumer::StoreConsumer(const Settings& settings, std::string node_id, sdk::Executor executor,
                             sdk::Logger& log, sdk::Metrics& metrics, ClientLog& client_log,
                             RecordDecoder& decoder, HostPost post,
                             std::function<void()> on_progress)
    : settings_(settings),
      node_id_(std::move(node_id)),
      log_(log),
      client_log_(client_log),
      decoder_(decoder),
      stored_count_(
          metrics.counter("kafka_stored_total", "messages whose store batch was committed")),
      store_retries_(metrics.counter("kafka_store_retries_total",
                                     "store batches redelivered after a failed commit")),
      assigned_(metrics.gauge("kafka_store_assigned_partitions",
                              "partitions the store group assigned to this node")),
      handoff_(std::move(executor), std::move(post), settings.store.retry_delay,
               {.log = log, .retries = store_retries_}),
      committer_(settings.topic, log, std::move(on_progress)) {}

StoreConsumer::~StoreConsumer() {
    abandon();
    request_quit();
    join();
}

std::error_code StoreConsumer::start() {
    ConfPtr conf = make_conf(settings_, Role::store, node_id_, settings_.store_group);
    ClientLog::route(conf.get(), *this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &StoreConsumer::on_rebalance_cb);
    rk_ = make_consumer(Role::store, std::move(conf));
    committer_.attach(rk_.get());
    PartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), settings_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const auto err = rd_kafka_subscribe(rk_.get(), topics.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_.error("cannot join consumer group '" + settings_.store_group +
                   "': " + rd_kafka_err2str(err));
        return sdk::make_error_code(sdk::Errc::unavailable);
    }
    handoff_.open();
    thread_ = std::thread([this] { run(); });
    return {};
}

void StoreConsumer::join() {
    if (thread_.joinable()) thread_.join();
}

void StoreConsumer::release() noexcept {
    committer_.release();
    rk_.reset();
}

void StoreConsumer::run() {
    rd_kafka_t* rk = rk_.get();
    std::uint64_t errors = 0;
    joining_since_ = Clock::now();
    while (!quit_.load()) {
        committer_.serve(0);
        committer_.commit_pending();
        warn_if_still_joining();

        std::vector<sdk::Message> batch;
        std::map<std::int32_t, Span> spans;
        std::size_t records = 0;
        poll_records(
            rk, kPollInterval, "store subscription", errors, log_,
            [&](const rd_kafka_message_t* m) {
                auto [it, fresh] = spans.try_emplace(m->partition, Span{m->offset, m->offset});
                it->second.end = m->offset + 1;
                if (auto msg = decoder_.decode(m)) batch.push_back(std::move(*msg));
                return ++records < settings_.store.batch_max;
            });
        if (spans.empty()) continue;
        if (!batch.empty()) {
            const std::size_t n = batch.size();
            const auto result = handoff_.hand_over(std::move(batch));
            if (!result) break;  // stop gave up waiting
            if (*result) {
                // Read again from the batch's start; the handoff holds it back until the
                // retry delay ran out.
                seek_back(spans);
                continue;
            }
            stored_count_.add(n);
        }
        for (const auto& [p, span] : spans) committer_.stored(p, span.end);
        committer_.commit_pending();
    }
    committer_.flush(Clock::now() + std::chrono::milliseconds(2000));
    if (close_consumer(rk, "store", log_)) assigned_.set(0);
}

/// Says so once when the store group has not answered this node's join for long:
/// until it does, nothing this node reads is stored, and librdkafka shows nothing.
void StoreConsumer::warn_if_still_joining() {
    if (!joining_since_ || join_warned_) return;
    const auto waited = Clock::now() - *joining_since_;
    if (waited < std::max(kJoinWarningAfter, 3 * settings_.store_session_timeout)) return;
    join_warned_ = true;
    log_.warn("store group '" + settings_.store_group + "': no assignment (not even an " +
              "empty one) " +
              describe(std::chrono::duration_cast<std::chrono::milliseconds>(waited)) +
              " after joining; this node stores nothing until the group coordinator " +
              "answers (librdkafka waits up to max.poll.interval.ms for it)");
}

void StoreConsumer::seek_back(const std::map<std::int32_t, Span>& spans) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(spans.size())));
    for (const auto& [p, span] : spans) {
        rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset =
            span.first;
    }
    ErrorPtr error(rd_kafka_seek_partitions(rk_.get(), list.get(), 2000));
    if (error) {
        log_.warn(std::string("cannot seek back to redeliver a store batch: ") +
                  rd_kafka_error_string(error.get()));
    }
}

void StoreConsumer::find_committed_by_group(const std::vector<std::int32_t>& partitions,
                                            const std::map<std::int32_t, std::int64_t>& targets,
                                            std::set<std::int32_t>& committed,
                                            Clock::time_point deadline) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto p : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p);
    }
    const auto err =
        rd_kafka_committed(rk_.get(), list.get(), std::clamp(remaining_ms(deadline), 1, 500));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        auto it = targets.find(e.partition);
        if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && it != targets.end() && e.offset >= it->second) {
            committed.insert(e.partition);
        }
    }
}

void StoreConsumer::on_rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    owner_of<StoreConsumer>(opaque).on_rebalance(rk, err, partitions);
}

void StoreConsumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
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
    committer_.flush(Clock::now() + std::chrono::milliseconds(1000), /*once=*/true);
    committer_.forget(partitions);
    joining_since_ = Clock::now();  // an assignment (maybe empty) ends every rebalance
    if (cooperative) {
        assigned_.sub(partitions->cnt);
        ErrorPtr error(rd_kafka_incremental_unassign(rk, partitions));
    } else {
        assigned_.set(0);
        rd_kafka_assign(rk, nullptr);
    }
}

}  // namespace relay::plugins::kafka
