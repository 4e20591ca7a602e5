#pragma once
/// Consumed records back to messages, for the queue's three readers.
#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>

#include <librdkafka/rdkafka.h>

#include <optional>
#include <string>

namespace relay::plugins::kafka {

/// Decodes a consumed record (record.hpp) into a message with its position. A record
/// that is not a Relay message (another producer's, a tool's) is skipped: counted in
/// `kafka_bad_records_total`, with a warning for the first of every thousand.
/// Thread safety: any thread (the broadcast, store and reader threads share one).
class RecordDecoder {
public:
    RecordDecoder(std::string topic, sdk::Logger& log, sdk::Metrics& metrics);

    std::optional<sdk::Message> decode(const rd_kafka_message_t* m);

private:
    const std::string topic_;
    sdk::Logger& log_;
    sdk::Counter& bad_records_;
};

}  // namespace relay::plugins::kafka
