#pragma once
/// The kafka queue's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>

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
    std::uint64_t batch_size = 1000000;
    std::chrono::milliseconds message_timeout{30000};
    /// Messages waiting for the brokers (librdkafka queue.buffering.max.messages).
    std::size_t max_in_flight = 100000;
    std::string compression = "none";
    // Consumers.
    std::chrono::milliseconds fetch_wait_max{2};  ///< broadcast subscription, recovery reads
    std::chrono::milliseconds store_fetch_wait_max{100};
    std::string store_group = "relay-store";
    std::size_t store_batch_max = 500;
    std::chrono::milliseconds store_retry_delay{200};
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

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("brokers", ValueType::string,
                   "bootstrap brokers, comma-separated host:port list")
            .needed(),
        config_key("topic", ValueType::string, "topic holding the chat messages").fallback("chats"),
        config_key("partitions", ValueType::integer,
                   "partitions when the topic is created (rooms are spread over them by key)")
            .fallback("12")
            .at_least(1),
        config_key("replication_factor", ValueType::integer,
                   "replicas when the topic is created (capped at the number of brokers)")
            .fallback("3")
            .at_least(1),
        config_key("create_topic", ValueType::boolean,
                   "create the topic at start when it is missing (Admin API)")
            .fallback("true"),
        config_key("admin_timeout", ValueType::duration,
                   "bound on start-up requests: metadata, topic creation, start offsets")
            .fallback("10s"),
        config_key("linger", ValueType::duration,
                   "producer wait to fill a batch (linger.ms): added to every message's "
                   "latency; under load batches fill anyway")
            .fallback("0ms"),
        config_key("batch_size", ValueType::size, "max bytes of one producer batch (batch.size)")
            .fallback("1000000"),
        config_key("message_timeout", ValueType::duration,
                   "how long a publish may wait for the brokers before its ack is an error")
            .fallback("30s"),
        config_key("max_in_flight", ValueType::integer,
                   "max messages waiting for the brokers' answer (the producer queue); beyond it "
                   "publishes fail with queue_full")
            .fallback("100000")
            .at_least(1),
        config_key("compression", ValueType::string, "producer compression codec")
            .fallback("none")
            .one_of({"none", "gzip", "snappy", "lz4", "zstd"}),
        config_key("fetch_wait_max", ValueType::duration,
                   "longest a broker holds an empty fetch of the broadcast subscription and "
                   "recovery reads (fetch.wait.max.ms); see the plugin's README")
            .fallback("2ms"),
        config_key("store_group", ValueType::string,
                   "consumer group of the store subscription, shared by all nodes")
            .fallback("relay-store"),
        config_key("store_batch_max", ValueType::integer,
                   "max messages per batch handed to the store")
            .fallback("500")
            .at_least(1),
        config_key("store_fetch_wait_max", ValueType::duration,
                   "longest a broker holds an empty fetch of the store subscription")
            .fallback("100ms"),
        config_key("store_retry_delay", ValueType::duration,
                   "wait before redelivering a batch the store failed to commit")
            .fallback("200ms"),
        config_key("store_session_timeout", ValueType::duration,
                   "how long the store group waits for a silent node before giving its "
                   "partitions to the others (session.timeout.ms; at least 4s)")
            .fallback("10s"),
        config_key("broadcast_start", ValueType::string,
                   "where a starting node's broadcast reads from: the end of the log, or "
                   "its beginning")
            .fallback("end")
            .one_of({"end", "beginning"}),
        config_key("partition_check_interval", ValueType::duration,
                   "how often the broadcast subscription looks for added partitions")
            .fallback("10s"),
        config_key("read_timeout", ValueType::duration,
                   "bound on one recovery read from the log (read_after)")
            .fallback("2s"),
        config_key("client_id", ValueType::string,
                   "client.id prefix shown by the brokers; the node id is appended")
            .fallback("relay"),
        config_key("properties", ValueType::string_list,
                   "extra librdkafka properties as key=value (security.protocol, sasl.*, "
                   "ssl.*)")
            .fallback("[]")
            .hidden(),
    };
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

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds should have caught (a defence for hosts that did not check), and
/// for a malformed `properties` entry. Whether librdkafka knows a property is checked
/// by check_properties() (kafka_client.hpp), which needs librdkafka.
inline Settings parse_settings(const sdk::ConfigView& config) {
    auto at_least = [&](std::string_view key, std::int64_t min) {
        const std::int64_t value = config.integer(key);
        if (value < min) {
            config.fail(key, "expected an integer of at least " + std::to_string(min) + ", got " +
                                 std::to_string(value));
        }
        return value;
    };
    auto duration = [&](std::string_view key, std::chrono::milliseconds min) {
        const auto value = config.duration(key);
        if (value < min) {
            config.fail(key, "expected at least " + std::to_string(min.count()) + "ms, got " +
                                 std::to_string(value.count()) + "ms");
        }
        return value;
    };
    auto not_empty = [&](std::string_view key) {
        std::string value = config.string(key);
        if (value.find_first_not_of(" \t") == std::string::npos) {
            config.fail(key, "expected a non-empty string");
        }
        return value;
    };
    using std::chrono::milliseconds;
    Settings s;
    s.brokers = not_empty("brokers");
    s.topic = not_empty("topic");
    if (s.topic.starts_with("__")) {
        config.fail("topic", "topics starting with \"__\" are Kafka's own; choose another name");
    }
    s.partitions = static_cast<int>(at_least("partitions", 1));
    s.replication_factor = static_cast<int>(at_least("replication_factor", 1));
    s.create_topic = config.boolean("create_topic");
    s.admin_timeout = duration("admin_timeout", milliseconds(1));
    s.linger = duration("linger", milliseconds(0));
    s.batch_size = config.size("batch_size");
    if (s.batch_size < 1 || s.batch_size > 2147483647U) {
        config.fail("batch_size",
                    "expected a size between 1 and 2GiB, got " + std::to_string(s.batch_size));
    }
    s.message_timeout = duration("message_timeout", milliseconds(1));
    s.max_in_flight = static_cast<std::size_t>(at_least("max_in_flight", 1));
    s.compression = config.string("compression");
    s.fetch_wait_max = duration("fetch_wait_max", milliseconds(0));
    s.store_fetch_wait_max = duration("store_fetch_wait_max", milliseconds(0));
    s.store_group = not_empty("store_group");
    s.store_batch_max = static_cast<std::size_t>(at_least("store_batch_max", 1));
    s.store_retry_delay = duration("store_retry_delay", milliseconds(0));
    s.store_session_timeout = config.duration("store_session_timeout");
    if (s.store_session_timeout < kMinStoreSessionTimeout) {
        config.fail("store_session_timeout",
                    "expected at least " + std::to_string(kMinStoreSessionTimeout.count()) +
                        "ms, got " + std::to_string(s.store_session_timeout.count()) +
                        "ms: a node joining an empty store group sends no heartbeat while "
                        "the coordinator waits its initial rebalance delay (3s), and a "
                        "shorter session can lose the join for minutes");
    }
    const std::string start = config.string("broadcast_start");
    if (start == "end") {
        s.broadcast_start = BroadcastStart::end;
    } else if (start == "beginning") {
        s.broadcast_start = BroadcastStart::beginning;
    } else {
        config.fail("broadcast_start", "expected end or beginning, got \"" + start + "\"");
    }
    s.partition_check_interval = duration("partition_check_interval", milliseconds(1));
    s.read_timeout = duration("read_timeout", milliseconds(1));
    s.client_id = not_empty("client_id");
    for (const auto& item : config.string_list("properties")) {
        auto property = split_property(item);
        if (property.first.empty()) {
            // Never echo the item: it may hold a password.
            config.fail("properties", "expected key=value entries (e.g. security.protocol=SSL)");
        }
        s.properties.push_back(std::move(property));
    }
    return s;
}

}  // namespace relay::plugins::kafka
