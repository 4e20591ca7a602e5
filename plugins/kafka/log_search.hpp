#pragma once
/// read_after's search of the log: one room's messages after a given one.
#include "record_decoder.hpp"
#include "settings.hpp"

#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace relay::plugins::kafka {

/// Finds the message `after_id` in the room's partition, then collects the room's
/// messages after it, up to the end of the log as it was when asked, at most `limit`,
/// within `read_timeout`.
///
/// Records carry the message time as their Kafka timestamp, and a message id (a ULID)
/// starts with that time, so the search starts at the room partition's first record no
/// older than the id's time minus kClockSkewAllowance (offsets_for_times) and gives up
/// at a record written more than the allowance plus message_timeout after it; an id
/// that carries no time is searched from the partition's beginning. Not found:
/// QueueErrc::message_not_found; out of time: timed_out.
///
/// Thread safety: one search at a time, on the reader's thread, with its consumer
/// (which it assigns and unassigns).
class LogSearch {
public:
    /// How far a record's time may lie before the time in its message id (the broker's
    /// clock behind the node's, for topics with LogAppendTime).
    static constexpr std::chrono::milliseconds kClockSkewAllowance{10000};

    struct Request {
        std::string room;
        std::string after_id;
        std::size_t limit = 0;
    };
    using Result = std::pair<std::error_code, std::vector<sdk::Message>>;

    LogSearch(const Settings& settings, RecordDecoder& decoder, sdk::Logger& log)
        : settings_(settings), decoder_(decoder), log_(log) {}

    Result find(rd_kafka_t* rk, rd_kafka_topic_t* topic, const Request& request);

private:
    using Clock = std::chrono::steady_clock;

    std::pair<std::error_code, std::int64_t> find_offset(rd_kafka_t* rk, std::int32_t partition,
                                                         std::int64_t ms, std::int64_t low,
                                                         std::int64_t high,
                                                         Clock::time_point deadline);
    Result scan(rd_kafka_t* rk, std::int32_t partition, std::int64_t start, std::int64_t high,
                std::optional<std::int64_t> give_up_after, const Request& request,
                Clock::time_point deadline);
    bool assign_at(rd_kafka_t* rk, std::int32_t partition, std::int64_t offset);

    const Settings& settings_;
    RecordDecoder& decoder_;
    sdk::Logger& log_;
    bool time_lookup_warned_ = false;
};

}  // namespace relay::plugins::kafka
