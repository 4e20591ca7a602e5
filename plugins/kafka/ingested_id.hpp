#pragma once
/// The id of a record another service produced without one (docs/kafka-ingestion.md).
#include <cstdint>
#include <string>

namespace relay::plugins::kafka {

/// A ULID made from where the record sits: its first 48 bits are `time_ms` (the
/// record's Kafka timestamp), the other 80 the partition (16 bits) and the offset (64).
/// Every node's broadcast subscription, the store consumer and a recovery read decode
/// the record apart, so the id must come out the same in each: one drawn at random
/// would make the store keep a message the clients never saw by that id, and a client
/// recovering after it would find no such offset. The time first keeps the id sorting
/// with the nodes' own ids, by time, as history and paging need; a time below 0 (a
/// record without a timestamp) counts as 0.
std::string ingested_message_id(std::int64_t time_ms, std::int32_t partition, std::int64_t offset);

}  // namespace relay::plugins::kafka
