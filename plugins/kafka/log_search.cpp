#include "log_search.hpp"

#include "kafka_client.hpp"
#include "kafka_queue.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/message_id.hpp>

#include <algorithm>

namespace relay::plugins::kafka {

namespace {

std::error_code relay_error(sdk::Errc e) {
    return sdk::make_error_code(e);
}

std::error_code read_error(rd_kafka_resp_err_t err) {
    return relay_error(err == RD_KAFKA_RESP_ERR__TIMED_OUT ? sdk::Errc::timed_out
                                                           : sdk::Errc::unavailable);
}

}  // namespace

/// The search starts at the record time of the id (see the class comment) and ends at
/// the end of the log as it was when asked.
LogSearch::Result LogSearch::find(rd_kafka_t* rk, rd_kafka_topic_t* topic, const Request& request) {
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
        topic, request.room.data(), request.room.size(), metadata->topics[0].partition_cnt, nullptr,
        nullptr);
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
        give_up_after = *id_ms + kClockSkewAllowance.count() + settings_.message_timeout.count();
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
std::pair<std::error_code, std::int64_t> LogSearch::find_offset(rd_kafka_t* rk,
                                                                std::int32_t partition,
                                                                std::int64_t ms, std::int64_t low,
                                                                std::int64_t high,
                                                                Clock::time_point deadline) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset = ms;
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
    if (!time_lookup_warned_) {
        time_lookup_warned_ = true;
        log_.debug(
            "the brokers answer no offset for a record time that is in the log (no "
            "time index, e.g. librdkafka's mock cluster); recovery reads search from "
            "the beginning of the partition");
    }
    return {{}, low};
}

/// Reads the partition from `start` to `high` (exclusive): first the message
/// `request.after_id`, then the room's messages after it, at most `request.limit`.
LogSearch::Result LogSearch::scan(rd_kafka_t* rk, std::int32_t partition, std::int64_t start,
                                  std::int64_t high, std::optional<std::int64_t> give_up_after,
                                  const Request& request, Clock::time_point deadline) {
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
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->partition != partition || m->offset < next) {
            continue;
        }
        next = m->offset + 1;
        auto msg = decoder_.decode(m.get());
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

bool LogSearch::assign_at(rd_kafka_t* rk, std::int32_t partition, std::int64_t offset) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), partition)->offset =
        offset;
    return rd_kafka_assign(rk, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace relay::plugins::kafka
