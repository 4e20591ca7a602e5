#pragma once
/// The kafka queue's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include "store_feed/batch_settings.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/config_values.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::kafka {

/// The shortest store_session_timeout. A consumer sends no heartbeat while its JoinGroup
/// waits for the coordinator's answer, and a node that is alone in an empty store group
/// waits the coordinator's initial rebalance delay (group.initial.rebalance.delay.ms,
/// 3s in Kafka and in librdkafka's mock). librdkafka's mock counts that wait against the
/// session: with a shorter session it drops the node from the group, never answers
/// its JoinGroup, and the node waits max.poll.interval.ms (5 min) before it tries
/// again, storing nothing meanwhile. The extra second covers the coordinator's
/// once-a-second session check. (Kafka brokers refuse sessions under
/// group.min.session.timeout.ms, 6s by default.)
inline constexpr std::chrono::milliseconds kMinStoreSessionTimeout{4000};

/// The largest producer batch librdkafka takes (batch.size is an int32).
inline constexpr std::int64_t kMaxBatchSize = 2147483647;

/// Where a node's broadcast subscription starts reading when it starts.
enum class BroadcastStart { end, beginning };

struct Settings {
    std::string brokers;  ///< bootstrap list, "host:port,host:port"
    std::string topic = "chats";
    int partitions = 12;
    int replication_factor = 3;
    bool create_topic = true;
    std::chrono::milliseconds admin_timeout{10000};
    // Producer.
    std::chrono::milliseconds linger{0};
    /// Produce requests awaiting an answer per broker (max.in.flight.requests.per.connection).
    /// 1: what arrives while a request is out waits for its answer and leaves as one batch,
    /// so batches grow with the load and an idle node's message leaves at once.
    int requests_in_flight = 1;
    std::uint64_t batch_size = 1000000;
    std::chrono::milliseconds message_timeout{30000};
    /// Messages waiting for the brokers (librdkafka queue.buffering.max.messages).
    std::size_t max_in_flight = 100000;
    std::string compression = "none";
    // Consumers.
    std::chrono::milliseconds fetch_wait_max{2};  ///< broadcast subscription, recovery reads
    std::chrono::milliseconds store_fetch_wait_max{100};
    std::string store_group = "relay-store";
    store_feed::BatchSettings store;  ///< store_batch_max, store_retry_delay
    std::chrono::milliseconds store_session_timeout{10000};
    BroadcastStart broadcast_start = BroadcastStart::end;
    std::chrono::milliseconds partition_check_interval{10000};
    std::chrono::milliseconds read_timeout{2000};
    // Both.
    std::string client_id = "relay";
    /// Passed through to every librdkafka handle, in order, before Relay's own settings
    /// are applied: ("security.protocol", "SASL_SSL"), …
    std::vector<std::pair<std::string, std::string>> properties;
};

/// The names Kafka must be given (brokers, topic, group, client id) hold more than
/// blanks, and the topic is not one of Kafka's own.
inline void check_names(const sdk::ConfigView& config, const Settings& settings) {
    const std::array<std::pair<const char*, const std::string*>, 4> names = {{
        {"brokers", &settings.brokers},
        {"topic", &settings.topic},
        {"store_group", &settings.store_group},
        {"client_id", &settings.client_id},
    }};
    for (const auto& [key, value] : names) {
        if (value->find_first_not_of(" \t") == std::string::npos) {
            config.fail(key, "expected a non-empty string");
        }
    }
    if (settings.topic.starts_with("__")) {
        config.fail("topic", "topics starting with \"__\" are Kafka's own; choose another name");
    }
}

/// librdkafka's default message.max.bytes: the largest record a node produces.
inline constexpr std::size_t kDefaultMessageMaxBytes = 1000000;

/// The largest record value a node could have produced: message.max.bytes as the
/// properties set it (the producer refuses larger messages with an error ack), so a
/// longer record is another service's and is skipped rather than sent to clients.
inline std::size_t max_record_bytes(const Settings& settings) {
    std::size_t bytes = kDefaultMessageMaxBytes;
    for (const auto& [name, value] : settings.properties) {
        if (name != "message.max.bytes") continue;
        std::size_t parsed = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        if (ec == std::errc() && end == value.data() + value.size()) bytes = parsed;
    }
    return bytes;
}

/// Splits "key=value" at the first '='. Empty key or no '=': nullopt-like empty key.
inline std::pair<std::string, std::string> split_property(std::string_view item) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return {};
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return std::string(s);
    };
    return {trim(item.substr(0, eq)), trim(item.substr(eq + 1))};
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    using std::chrono::milliseconds;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add(config_key("brokers", ValueType::string,
                            "bootstrap brokers, comma-separated host:port list")
                     .needed(),
                 &Settings::brokers)
            .add(config_key("topic", ValueType::string, "topic holding the chat messages"),
                 &Settings::topic)
            .add(config_key("partitions", ValueType::integer,
                            "partitions when the topic is created (rooms are spread over them by "
                            "key)")
                     .at_least(1),
                 &Settings::partitions)
            .add(config_key("replication_factor", ValueType::integer,
                            "replicas when the topic is created (capped at the number of brokers)")
                     .at_least(1),
                 &Settings::replication_factor)
            .add(config_key("create_topic", ValueType::boolean,
                            "create the topic at start when it is missing (Admin API)"),
                 &Settings::create_topic)
            .add(config_key("admin_timeout", ValueType::duration,
                            "bound on start-up requests: metadata, topic creation, start offsets")
                     .at_least(milliseconds(1)),
                 &Settings::admin_timeout)
            .add(config_key("linger", ValueType::duration,
                            "producer wait to fill a batch (linger.ms): added to every message's "
                            "latency; under load batches fill anyway"),
                 &Settings::linger)
            .add(config_key("requests_in_flight", ValueType::integer,
                            "produce requests awaiting an answer per broker "
                            "(max.in.flight.requests.per.connection, at most 5 with "
                            "idempotence): 1 batches what arrives meanwhile, following the load "
                            "without a wait when idle")
                     .at_least(1)
                     .at_most(5),
                 &Settings::requests_in_flight)
            .add(config_key("batch_size", ValueType::size,
                            "max bytes of one producer batch (batch.size)")
                     .at_least(1)
                     .at_most(kMaxBatchSize),
                 &Settings::batch_size)
            .add(config_key("message_timeout", ValueType::duration,
                            "how long a publish may wait for the brokers before its ack is an "
                            "error")
                     .at_least(milliseconds(1)),
                 &Settings::message_timeout)
            .add(config_key("max_in_flight", ValueType::integer,
                            "max messages waiting for the brokers' answer (the producer queue); "
                            "beyond it publishes fail with queue_full")
                     .at_least(1),
                 &Settings::max_in_flight)
            .add(config_key("compression", ValueType::string, "producer compression codec")
                     .one_of({"none", "gzip", "snappy", "lz4", "zstd"}),
                 &Settings::compression)
            .add(config_key("fetch_wait_max", ValueType::duration,
                            "longest a broker holds an empty fetch of the broadcast subscription "
                            "and recovery reads (fetch.wait.max.ms); see the plugin's README"),
                 &Settings::fetch_wait_max)
            .add(config_key("store_group", ValueType::string,
                            "consumer group of the store subscription, shared by all nodes"),
                 &Settings::store_group)
            .include(store_feed::batch_binding(), &Settings::store)
            .add(config_key("store_fetch_wait_max", ValueType::duration,
                            "longest a broker holds an empty fetch of the store subscription"),
                 &Settings::store_fetch_wait_max)
            // Its least value is checked below rather than as the key's bound, so that the
            // error says why.
            .add(config_key("store_session_timeout", ValueType::duration,
                            "how long the store group waits for a silent node before giving its "
                            "partitions to the others (session.timeout.ms; at least " +
                                sdk::values::format_duration(kMinStoreSessionTimeout) + ")"),
                 &Settings::store_session_timeout)
            .add_choice(config_key("broadcast_start", ValueType::string,
                                   "where a starting node's broadcast reads from: the end of the "
                                   "log, or its beginning"),
                        &Settings::broadcast_start,
                        {{"end", BroadcastStart::end}, {"beginning", BroadcastStart::beginning}})
            .add(config_key("partition_check_interval", ValueType::duration,
                            "how often the broadcast subscription looks for added partitions")
                     .at_least(milliseconds(1)),
                 &Settings::partition_check_interval)
            .add(config_key("read_timeout", ValueType::duration,
                            "bound on one recovery read from the log (read_after)")
                     .at_least(milliseconds(1)),
                 &Settings::read_timeout)
            .add(config_key("client_id", ValueType::string,
                            "client.id prefix shown by the brokers; the node id is appended"),
                 &Settings::client_id)
            .add_read(config_key("properties", ValueType::string_list,
                                 "extra librdkafka properties as key=value (security.protocol, "
                                 "sasl.*, ssl.*)")
                          .fallback("[]")
                          .hidden(),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          for (const auto& item : config.string_list("properties")) {
                              auto property = split_property(item);
                              if (property.first.empty()) {
                                  // Never echo the item: it may hold a password.
                                  config.fail("properties",
                                              "expected key=value entries (e.g. "
                                              "security.protocol=SSL)");
                              }
                              settings.properties.push_back(std::move(property));
                          }
                      })
            .check([](const sdk::ConfigView& config, const Settings& settings) {
                check_names(config, settings);
                if (settings.store_session_timeout < kMinStoreSessionTimeout) {
                    config.fail("store_session_timeout",
                                "expected at least " +
                                    std::to_string(kMinStoreSessionTimeout.count()) + "ms, got " +
                                    std::to_string(settings.store_session_timeout.count()) +
                                    "ms: a node joining an empty store group sends no heartbeat "
                                    "while the coordinator waits its initial rebalance delay "
                                    "(3s), and a shorter session can lose the join for minutes");
                }
            });
    return bound;
}

inline sdk::Schema schema() {
    return binding().schema();
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds should have caught (a defence for hosts that did not check), and
/// for a malformed `properties` entry. Whether librdkafka knows a property is checked
/// by check_properties() (kafka_client.hpp), which needs librdkafka.
inline Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::kafka
