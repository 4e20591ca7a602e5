#pragma once
/// Consumed records back to messages, for the queue's three readers.
#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <optional>
#include <string>

namespace relay::plugins::kafka {

/// Decodes a consumed record (record.hpp) into a message with its position. A record
/// that is not a Relay message (another producer's, a tool's), or longer than
/// `max_record_bytes` (what a node could have produced: librdkafka's
/// message.max.bytes), is skipped. A record without an id gets one from where it sits
/// (ingested_id.hpp), and without "ts" the record's timestamp: the same in every
/// reader on every node.
/// Skips are counted in `kafka_bad_records_total` and logged (the first of every
/// thousand) only where asked to: each node's broadcast subscription reads every
/// record once, so the count is the topic's bad records this node saw, not that times
/// the readers that happened to decode them too.
/// Thread safety: any thread (the broadcast, store and reader threads share one).
class RecordDecoder {
public:
    enum class Skips { count, ignore };

    RecordDecoder(std::string topic, std::size_t max_record_bytes, sdk::Logger& log,
                  sdk::Metrics& metrics);

    std::optional<sdk::Message> decode(const rd_kafka_message_t* m, Skips skips = Skips::ignore);

private:
    const std::string topic_;
    const std::size_t max_record_bytes_;
    sdk::Logger& log_;
    sdk::Counter& bad_records_;
};

}  // namespace relay::plugins::kafka
