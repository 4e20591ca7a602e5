#include "record_decoder.hpp"

#include "ingested_id.hpp"
#include "kafka_client.hpp"
#include "record.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace relay::plugins::kafka {

RecordDecoder::RecordDecoder(std::string topic, std::size_t max_record_bytes, sdk::Logger& log,
                             sdk::Metrics& metrics)
    : topic_(std::move(topic)),
      max_record_bytes_(max_record_bytes),
      log_(log),
      bad_records_(metrics.counter("kafka_bad_records_total",
                                   "records in the topic that are not Relay messages (skipped)")) {}

std::optional<sdk::Message> RecordDecoder::decode(const rd_kafka_message_t* m, Skips skips) {
    const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    std::string why;
    std::optional<sdk::Message> msg;
    if (value.size() > max_record_bytes_) {
        why = "longer than message.max.bytes (" + std::to_string(max_record_bytes_) + ")";
    } else {
        msg = decode_record(value, &why);
    }
    if (!msg) {
        if (skips == Skips::count) {
            bad_records_.add();
            if (bad_records_.value() % 1000 == 1) {
                log_.warn("skipped a record that is not a Relay message at " + topic_ + "[" +
                          std::to_string(m->partition) + "]@" + std::to_string(m->offset) + ": " +
                          why + " (1 in 1000 logged; kafka_bad_records_total counts them)");
            }
        }
        return std::nullopt;
    }
    if (msg->id.empty() || msg->ts_ms == 0) {
        const std::int64_t record_ms = rd_kafka_message_timestamp(m, nullptr);
        if (msg->ts_ms == 0) msg->ts_ms = std::max<std::int64_t>(record_ms, 0);
        if (msg->id.empty()) msg->id = ingested_message_id(record_ms, m->partition, m->offset);
    }
    msg->position = format_position(m->partition, m->offset);
    return msg;
}

}  // namespace relay::plugins::kafka
