#include "record_decoder.hpp"

#include "kafka_client.hpp"
#include "record.hpp"

#include <string_view>
#include <utility>

namespace relay::plugins::kafka {

RecordDecoder::RecordDecoder(std::string topic, sdk::Logger& log, sdk::Metrics& metrics)
    : topic_(std::move(topic)),
      log_(log),
      bad_records_(metrics.counter("kafka_bad_records_total",
                                   "records in the topic that are not Relay messages")) {}

std::optional<sdk::Message> RecordDecoder::decode(const rd_kafka_message_t* m) {
    std::string why;
    auto msg = decode_record(
        std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0), &why);
    if (!msg) {
        bad_records_.add();
        if (bad_records_.value() % 1000 == 1) {
            log_.warn("skipped a record that is not a Relay message at " + topic_ + "[" +
                      std::to_string(m->partition) + "]@" + std::to_string(m->offset) + ": " + why);
        }
        return std::nullopt;
    }
    msg->position = format_position(m->partition, m->offset);
    return msg;
}

}  // namespace relay::plugins::kafka
