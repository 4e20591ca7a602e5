#pragma once
/// The valkey_streams queue's configuration: its keys bound to the plain Settings the
/// implementation takes (each default is the member's). Only plugin.cpp and tests
/// include this.
#include "valkey/connection_settings.hpp"

#include "store_feed/batch_settings.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

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
    store_feed::BatchSettings store;    ///< store_batch_max, store_retry_delay
    std::chrono::milliseconds block{1000};
    std::size_t read_count = 1000;
    std::chrono::milliseconds claim_idle{60000};
    std::chrono::milliseconds backlog_interval{200};
};

/// Problems the keys' bounds cannot express: an empty stream or group name, and
/// trimming that could drop what the store has not committed.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    if (config.string("stream").empty()) {
        problems.push_back({"stream", "expected a key prefix, got an empty string"});
    }
    if (config.string("store_group").empty()) {
        problems.push_back({"store_group", "expected a group name, got an empty string"});
    }
    const auto maxlen = config.integer("maxlen");
    const auto capacity = config.integer("capacity");
    if (maxlen > 0 && maxlen <= capacity) {
        problems.push_back(
            {"maxlen", "expected more than capacity (" + std::to_string(capacity) + "), got " +
                           std::to_string(maxlen) +
                           "; trimming could drop messages the store has not committed"});
    }
    return problems;
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    using std::chrono::milliseconds;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .include(valkey::connection_binding(), &Settings::connection)
            .add(config_key("stream", ValueType::string,
                            "stream key prefix: partition p is the stream <stream>:<p>"),
                 &Settings::stream)
            .add(config_key("partitions", ValueType::integer,
                            "streams the rooms are hashed over (per-room order holds in each); "
                            "the same on every node")
                     .at_least(1)
                     .at_most(4096),
                 &Settings::partitions)
            .add(config_key("store_group", ValueType::string,
                            "consumer group of the store subscription, shared by all nodes"),
                 &Settings::store_group)
            .add(config_key("consumer", ValueType::string,
                            "this node's consumer name in the group; empty: the node id"),
                 &Settings::consumer)
            .add(config_key("maxlen", ValueType::integer,
                            "entries kept per stream (approximate MAXLEN ~); 0: no trimming")
                     .at_least(0),
                 &Settings::maxlen)
            .add(config_key("capacity", ValueType::integer,
                            "max messages the store group has not committed; beyond it "
                            "publishes fail with queue_full")
                     .at_least(1),
                 &Settings::capacity)
            .add(config_key("max_in_flight", ValueType::integer,
                            "max XADDs awaiting the server's answer; beyond it publishes fail "
                            "with queue_full")
                     .at_least(1),
                 &Settings::max_in_flight)
            .include(store_feed::batch_binding(), &Settings::store)
            .add(config_key("block", ValueType::duration,
                            "how long one blocking read (XREAD / XREADGROUP BLOCK) waits")
                     .at_least(milliseconds(1)),
                 &Settings::block)
            .add(config_key("read_count", ValueType::integer,
                            "max entries per stream in one broadcast read")
                     .at_least(1),
                 &Settings::read_count)
            .add(config_key("claim_idle", ValueType::duration,
                            "store entries another consumer left unacknowledged this long are "
                            "claimed (XAUTOCLAIM) and stored by this node")
                     .at_least(milliseconds(1)),
                 &Settings::claim_idle)
            .add(config_key("backlog_interval", ValueType::duration,
                            "how often the store group's backlog is measured (for capacity)")
                     .at_least(milliseconds(1)),
                 &Settings::backlog_interval)
            .check_problems(check);
    return bound;
}

}  // namespace relay::plugins::valkey_streams
