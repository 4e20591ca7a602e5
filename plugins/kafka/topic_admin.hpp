#pragma once
/// The start-up steps on the topic: find it, create it, read where it ends.
#include "kafka_client.hpp"
#include "settings.hpp"

#include <relay/sdk/logger.hpp>

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <map>
#include <system_error>

namespace relay::plugins::kafka {

/// What start() asks the cluster about the topic, through the producer's client (which
/// connects to every broker at once) while its queue is served (the client's logs).
/// Each step is bounded by `admin_timeout`; a topic with fewer partitions than
/// `partitions` is used as it is, with a warning (adding partitions moves rooms, which
/// breaks per-room order for messages in flight, so Relay never does it by itself).
///
/// Thread safety: the queue's start thread only; `still_starting` says when stop came
/// first (then the waits end early).
class TopicAdmin {
public:
    TopicAdmin(const Settings& settings, sdk::Logger& log, rd_kafka_t* client,
               std::function<bool()> still_starting)
        : settings_(settings), log_(log), rk_(client), still_starting_(std::move(still_starting)) {}

    /// Finds the topic, or creates it (`create_topic`) or waits for the brokers to
    /// auto-create it; sets `partitions` to its partition count.
    std::error_code find_or_create(int& partitions);

    /// The end of each partition of 0 .. partitions-1 now: where the broadcast starts.
    std::error_code end_offsets(int partitions, Clock::time_point deadline,
                                std::map<std::int32_t, std::int64_t>& ends);

private:
    std::error_code inspect_cluster(Clock::time_point deadline, int& brokers, int& partitions);
    void warn_fewer_partitions(int partitions);
    void create_topic(int brokers, Clock::time_point deadline);
    int wait_for_topic(Clock::time_point deadline);

    const Settings& settings_;
    sdk::Logger& log_;
    rd_kafka_t* const rk_;
    const std::function<bool()> still_starting_;
};

}  // namespace relay::plugins::kafka
