#pragma once
/// librdkafka handles owned by unique_ptr, the configuration of the queue's clients
/// (producer, broadcast consumer, store consumer, reader) from Settings, and what every
/// client's owner needs: bounded timeouts and a bounded consumer close.
#include "settings.hpp"

#include <relay/sdk/logger.hpp>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::kafka {

template <auto Destroy>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        if (p) Destroy(p);
    }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<rd_kafka_conf_destroy>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, Deleter<rd_kafka_topic_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, Deleter<rd_kafka_message_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_destroy>>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                         Deleter<rd_kafka_topic_partition_list_destroy>>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Deleter<rd_kafka_metadata_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Deleter<rd_kafka_NewTopic_destroy>>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, Deleter<rd_kafka_error_destroy>>;

/// A client handle. Consumers must be closed (rd_kafka_consumer_close) before the
/// handle is destroyed; the owner does that on its own thread, bounded.
using HandlePtr = std::unique_ptr<rd_kafka_t, Deleter<rd_kafka_destroy>>;

/// Destroys a consumer without closing it again: its owner closed it already, bounded
/// (rd_kafka_destroy would close it once more, without a bound, when that failed).
inline void destroy_consumer(rd_kafka_t* rk) {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}
using ConsumerPtr = std::unique_ptr<rd_kafka_t, Deleter<destroy_consumer>>;

/// A client configuration failed (an unknown or malformed librdkafka property).
class ClientConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Sets one property; throws ClientConfigError naming the property (never its value:
/// it may be a password).
void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

/// The problems librdkafka finds with `properties` entries (unknown names, bad
/// values), one message per entry; empty when all are fine. Values are never echoed.
std::vector<std::string> check_properties(
    const std::vector<std::pair<std::string, std::string>>& properties);

/// The four clients of one queue.
enum class Role { producer, broadcast, store, reader };

/// A configuration for `role`: the user's pass-through properties first, then
/// Relay's own (which win: idempotence, acks and commit handling are not optional).
/// `group_id` is used by the consumers. Throws ClientConfigError.
ConfPtr make_conf(const Settings& settings, Role role, std::string_view node_id,
                  const std::string& group_id);

/// Creates a client from `conf` (taken). Throws ClientConfigError with librdkafka's
/// reason.
HandlePtr make_handle(Role role, ConfPtr conf);
/// The same for a consumer role, whose poll serves its logs and callbacks too (its
/// owner's thread polls it, and nothing else does).
ConsumerPtr make_consumer(Role role, ConfPtr conf);

/// One poll of a consumer's records: waits up to `wait` for the first, then takes those
/// already fetched, handing each to `on_record` (bool(const rd_kafka_message_t*)) until
/// it returns false. An error other than a partition's end is warned about, one in a
/// hundred (`errors` counts them across polls), prefixed with `label`.
template <class OnRecord>
void poll_records(rd_kafka_t* rk, std::chrono::milliseconds wait, const char* label,
                  std::uint64_t& errors, sdk::Logger& log, OnRecord&& on_record) {
    MessagePtr m(rd_kafka_consumer_poll(rk, static_cast<int>(wait.count())));
    while (m) {
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (!on_record(m.get())) return;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && errors++ % 100 == 0) {
            log.warn(std::string(label) + ": " + rd_kafka_message_errstr(m.get()));
        }
        m.reset(rd_kafka_consumer_poll(rk, 0));
    }
}

/// "partition:offset", the queue's position text.
std::string format_position(std::int32_t partition, std::int64_t offset);

using Clock = std::chrono::steady_clock;

/// Milliseconds left until `deadline`, as librdkafka's int timeouts want them.
int remaining_ms(Clock::time_point deadline);

/// 16 random hex digits: private group ids of the consumers that never join a group.
std::string random_suffix();

/// How long closing a consumer may take before its owner goes on without it.
inline constexpr std::chrono::milliseconds kCloseTimeout{5000};

/// Closes a consumer on the calling thread (its owner's), bounded by kCloseTimeout: a
/// broker that is down must not hold up stop. `label` names it in the warnings. False
/// when it did not close (then warned).
bool close_consumer(rd_kafka_t* rk, const char* label, sdk::Logger& log);

}  // namespace relay::plugins::kafka
