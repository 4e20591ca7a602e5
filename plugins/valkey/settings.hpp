#pragma once
/// The valkey presence's configuration: its keys bound to the plain Settings the
/// implementation takes (each default is the member's). Only plugin.cpp and tests
/// include this.
#include "valkey/connection_settings.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

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

/// Cross-key problems: a heartbeat that does not come well within the ttl.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    const auto ttl = config.duration("ttl");
    const auto beat = config.duration("heartbeat_interval");
    if (beat * 2 > ttl) {
        problems.push_back(
            {"heartbeat_interval", "expected at most half of ttl (" + std::to_string(ttl.count()) +
                                       "ms), got " + std::to_string(beat.count()) +
                                       "ms; a node would expire between two heartbeats"});
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
            .include(connection_binding(), &Settings::connection)
            .add(config_key("key_prefix", ValueType::string,
                            "prefix of every key and of the event channel"),
                 &Settings::key_prefix)
            .add(config_key("ttl", ValueType::duration,
                            "members of a node that stopped heartbeating disappear after this")
                     .at_least(milliseconds(1)),
                 &Settings::ttl)
            .add(config_key("heartbeat_interval", ValueType::duration,
                            "how often each node renews its liveness (less than ttl) and "
                            "removes dead nodes' members")
                     .at_least(milliseconds(1)),
                 &Settings::heartbeat_interval)
            .add(config_key("reap_batch", ValueType::integer,
                            "dead nodes' members removed per server call")
                     .at_least(1),
                 &Settings::reap_batch)
            .check_problems(check);
    return bound;
}

}  // namespace relay::plugins::valkey
