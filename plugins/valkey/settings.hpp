#pragma once
/// The valkey presence's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include "valkey/connection_settings.hpp"

#include <relay/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace relay::plugins::valkey {

struct Settings {
    ConnectionOptions connection;
    /// Every key (and the event channel) starts with this.
    std::string key_prefix = "relay:presence:";
    /// A node that stopped heartbeating is gone after this long, its members with it.
    std::chrono::milliseconds ttl{15000};
    std::chrono::milliseconds heartbeat_interval{5000};
    /// Members of dead nodes removed per script call (bounds one call's server time).
    std::size_t reap_batch = 500;
};

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    sdk::Schema keys;
    add_connection_keys(keys);
    keys.push_back(
        config_key("key_prefix", ValueType::string, "prefix of every key and of the event channel")
            .fallback("relay:presence:"));
    keys.push_back(config_key("ttl", ValueType::duration,
                              "members of a node that stopped heartbeating disappear after this")
                       .fallback("15s"));
    keys.push_back(config_key("heartbeat_interval", ValueType::duration,
                              "how often each node renews its liveness (less than ttl) and "
                              "removes dead nodes' members")
                       .fallback("5s"));
    keys.push_back(
        config_key("reap_batch", ValueType::integer, "dead nodes' members removed per server call")
            .fallback("500")
            .at_least(1));
    return keys;
}

/// Cross-key problems: the heartbeat must come well within the ttl.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems = check_connection(config);
    const auto ttl = config.duration("ttl");
    const auto beat = config.duration("heartbeat_interval");
    if (beat.count() <= 0) {
        problems.push_back({"heartbeat_interval", "expected a positive duration, got " +
                                                      std::to_string(beat.count()) + "ms"});
    } else if (beat * 2 > ttl) {
        problems.push_back(
            {"heartbeat_interval", "expected at most half of ttl (" + std::to_string(ttl.count()) +
                                       "ms), got " + std::to_string(beat.count()) +
                                       "ms; a node would expire between two heartbeats"});
    }
    return problems;
}

/// Reads the validated configuration. Throws sdk::ConfigError located at the bad key.
inline Settings parse_settings(const sdk::ConfigView& config) {
    Settings settings;
    settings.connection = parse_connection(config);
    settings.key_prefix = config.string("key_prefix");
    settings.ttl = config.duration("ttl");
    if (settings.ttl.count() <= 0) {
        config.fail("ttl", "expected a positive duration, got " +
                               std::to_string(settings.ttl.count()) + "ms");
    }
    for (const auto& problem : check(config)) config.fail(problem.key, problem.message);
    settings.heartbeat_interval = config.duration("heartbeat_interval");
    const auto batch = config.integer("reap_batch");
    if (batch < 1)
        config.fail("reap_batch", "expected a positive integer, got " + std::to_string(batch));
    settings.reap_batch = static_cast<std::size_t>(batch);
    return settings;
}

}  // namespace relay::plugins::valkey
