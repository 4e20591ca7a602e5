#pragma once
/// The valkey_streams queue's configuration: its keys as data, and their parsing into
/// the plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include "valkey/connection_settings.hpp"

#include <relay/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace relay::plugins::valkey_streams {

struct Settings {
    valkey::ConnectionOptions connection;
    /// Partition p lives in the stream `<stream>:<p>`.
    std::string stream = "relay:chats";
    std::size_t partitions = 12;
    std::string store_group = "relay-store";
    std::string consumer;          ///< empty: the node id
    std::size_t maxlen = 1000000;  ///< approximate (~) entries kept per stream; 0: no trimming
    /// Messages in the store group's backlog (not yet delivered, or delivered and not
    /// acknowledged) beyond which publishes fail with queue_full.
    std::size_t capacity = 100000;
    std::size_t max_in_flight = 10000;  ///< XADDs without an answer yet
    std::size_t store_batch_max = 500;
    std::chrono::milliseconds store_retry_delay{200};
    std::chrono::milliseconds block{1000};
    std::size_t read_count = 1000;
    std::chrono::milliseconds claim_idle{60000};
    std::chrono::milliseconds backlog_interval{200};
};

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    sdk::Schema keys;
    valkey::add_connection_keys(keys);
    keys.push_back(config_key("stream", ValueType::string,
                              "stream key prefix: partition p is the stream <stream>:<p>")
                       .fallback("relay:chats"));
    keys.push_back(config_key("partitions", ValueType::integer,
                              "streams the rooms are hashed over (per-room order holds in each); "
                              "the same on every node")
                       .fallback("12")
                       .at_least(1)
                       .at_most(4096));
    keys.push_back(config_key("store_group", ValueType::string,
                              "consumer group of the store subscription, shared by all nodes")
                       .fallback("relay-store"));
    keys.push_back(config_key("consumer", ValueType::string,
                              "this node's consumer name in the group; empty: the node id")
                       .fallback(""));
    keys.push_back(config_key("maxlen", ValueType::integer,
                              "entries kept per stream (approximate MAXLEN ~); 0: no trimming")
                       .fallback("1000000")
                       .at_least(0));
    keys.push_back(config_key("capacity", ValueType::integer,
                              "max messages the store group has not committed; beyond it "
                              "publishes fail with queue_full")
                       .fallback("100000")
                       .at_least(1));
    keys.push_back(config_key("max_in_flight", ValueType::integer,
                              "max XADDs awaiting the server's answer; beyond it publishes fail "
                              "with queue_full")
                       .fallback("10000")
                       .at_least(1));
    keys.push_back(config_key("store_batch_max", ValueType::integer,
                              "max messages per batch handed to the store")
                       .fallback("500")
                       .at_least(1));
    keys.push_back(config_key("store_retry_delay", ValueType::duration,
                              "wait before redelivering a batch the store failed to commit")
                       .fallback("200ms"));
    keys.push_back(config_key("block", ValueType::duration,
                              "how long one blocking read (XREAD / XREADGROUP BLOCK) waits")
                       .fallback("1s"));
    keys.push_back(
        config_key("read_count", ValueType::integer, "max entries per stream in one broadcast read")
            .fallback("1000")
            .at_least(1));
    keys.push_back(config_key("claim_idle", ValueType::duration,
                              "store entries another consumer left unacknowledged this long are "
                              "claimed (XAUTOCLAIM) and stored by this node")
                       .fallback("60s"));
    keys.push_back(config_key("backlog_interval", ValueType::duration,
                              "how often the store group's backlog is measured (for capacity)")
                       .fallback("200ms"));
    return keys;
}

/// Cross-key problems.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems = valkey::check_connection(config);
    const auto maxlen = config.integer("maxlen");
    const auto capacity = config.integer("capacity");
    if (maxlen > 0 && maxlen <= capacity) {
        problems.push_back(
            {"maxlen", "expected more than capacity (" + std::to_string(capacity) + "), got " +
                           std::to_string(maxlen) +
                           "; trimming could drop messages the store has not committed"});
    }
    for (const char* key : {"block", "backlog_interval", "claim_idle"}) {
        const auto value = config.duration(key);
        if (value.count() <= 0) {
            problems.push_back(
                {key, "expected a positive duration, got " + std::to_string(value.count()) + "ms"});
        }
    }
    return problems;
}

/// Reads the validated configuration. Throws sdk::ConfigError located at the bad key.
inline Settings parse_settings(const sdk::ConfigView& config) {
    auto at_least = [&](std::string_view key, std::int64_t min) {
        const auto value = config.integer(key);
        if (value < min) {
            config.fail(key, std::string(min == 0 ? "expected a non-negative integer"
                                                  : "expected a positive integer") +
                                 ", got " + std::to_string(value));
        }
        return static_cast<std::size_t>(value);
    };
    for (const auto& problem : check(config)) config.fail(problem.key, problem.message);
    Settings s;
    s.connection = valkey::parse_connection(config);
    s.stream = config.string("stream");
    if (s.stream.empty()) config.fail("stream", "expected a key prefix, got an empty string");
    s.partitions = at_least("partitions", 1);
    s.store_group = config.string("store_group");
    if (s.store_group.empty()) {
        config.fail("store_group", "expected a group name, got an empty string");
    }
    s.consumer = config.string("consumer");
    s.maxlen = at_least("maxlen", 0);
    s.capacity = at_least("capacity", 1);
    s.max_in_flight = at_least("max_in_flight", 1);
    s.store_batch_max = at_least("store_batch_max", 1);
    s.store_retry_delay = config.duration("store_retry_delay");
    s.block = config.duration("block");
    s.read_count = at_least("read_count", 1);
    s.claim_idle = config.duration("claim_idle");
    s.backlog_interval = config.duration("backlog_interval");
    return s;
}

}  // namespace relay::plugins::valkey_streams
