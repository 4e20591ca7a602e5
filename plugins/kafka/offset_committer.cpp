#include "offset_committer.hpp"

#include <algorithm>

namespace relay::plugins::kafka {

void OffsetCommitter::attach(rd_kafka_t* rk) {
    rk_ = rk;
    queue_.reset(rd_kafka_queue_new(rk));
}

void OffsetCommitter::stored(std::int32_t partition, std::int64_t end) {
    auto& known = to_commit_[partition];
    known = std::max(known, end);
}

void OffsetCommitter::forget(const rd_kafka_topic_partition_list_t* partitions) {
    for (int i = 0; i < partitions->cnt; ++i) to_commit_.erase(partitions->elems[i].partition);
}

void OffsetCommitter::commit_pending() {
    if (in_flight_ || to_commit_.empty() || Clock::now() < next_commit_) return;
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(to_commit_.size())));
    {
        std::lock_guard lock(committed_mutex_);
        for (const auto& [p, end] : to_commit_) {
            auto it = committed_end_.find(p);
            if (it != committed_end_.end() && it->second >= end) continue;
            rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset = end;
        }
    }
    if (list->cnt == 0) return;
    const auto err = rd_kafka_commit_queue(rk_, list.get(), queue_.get(), nullptr, nullptr);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (errors_++ % 100 == 0) {
            log_.warn(std::string("cannot commit store offsets: ") + rd_kafka_err2str(err) +
                      "; retrying");
        }
        next_commit_ = Clock::now() + kCommitRetryDelay;
        return;
    }
    in_flight_ = true;
}

void OffsetCommitter::serve(int timeout_ms) {
    for (;;) {
        EventPtr event(rd_kafka_queue_poll(queue_.get(), timeout_ms));
        if (!event) return;
        timeout_ms = 0;
        if (rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_OFFSET_COMMIT) continue;
        in_flight_ = false;
        const auto* offsets = rd_kafka_event_topic_partition_list(event.get());
        const auto err = rd_kafka_event_error(event.get());
        bool committed = false;
        if (offsets) {
            std::lock_guard lock(committed_mutex_);
            for (int i = 0; i < offsets->cnt; ++i) {
                const auto& e = offsets->elems[i];
                if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR || e.offset < 0) continue;
                auto& end = committed_end_[e.partition];
                end = std::max(end, e.offset);
                committed = true;
            }
        }
        if (committed) on_progress_();
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // Retried after a pause (a rebalance in progress refuses commits until
            // it completes); what is never committed is redelivered, not lost.
            next_commit_ = Clock::now() + kCommitRetryDelay;
            if (err != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS && errors_++ % 100 == 0) {
                log_.warn(std::string("committing store offsets failed: ") +
                          rd_kafka_event_error_string(event.get()) + "; retrying");
            }
        }
    }
}

void OffsetCommitter::flush(Clock::time_point deadline, bool once) {
    next_commit_ = Clock::time_point{};
    commit_pending();
    while (in_flight_ && Clock::now() < deadline) {
        serve(std::max(1, std::min(100, remaining_ms(deadline))));
        if (!in_flight_ && !once) commit_pending();
    }
}

std::int64_t OffsetCommitter::committed_end(std::int32_t partition) {
    std::lock_guard lock(committed_mutex_);
    const auto it = committed_end_.find(partition);
    return it == committed_end_.end() ? -1 : it->second;
}

}  // namespace relay::plugins::kafka
