#pragma once
/// The connection keys both Valkey plugins share (url, login, timeouts, backoff):
/// their schema entries and their parsing into ConnectionOptions.
#include "address.hpp"
#include "connection.hpp"

#include <relay/sdk/config.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace relay::plugins::valkey {

inline void add_connection_keys(sdk::Schema& keys) {
    using sdk::config_key;
    using sdk::ValueType;
    keys.push_back(config_key("url", ValueType::string,
                              "server: host:port or redis://[user:password@]host:port[/db]")
                       .fallback("redis://127.0.0.1:6379"));
    keys.push_back(
        config_key("user", ValueType::string, "ACL user name (overrides the URL's); empty: default")
            .fallback(""));
    keys.push_back(config_key("password", ValueType::string,
                              "password for AUTH (overrides the URL's); empty: no AUTH")
                       .fallback("")
                       .hidden());
    keys.push_back(config_key("database", ValueType::integer,
                              "database index to SELECT (overrides the URL's /db)")
                       .fallback("0")
                       .at_least(0));
    keys.push_back(config_key("connect_timeout", ValueType::duration,
                              "how long one connection attempt (with AUTH) may take")
                       .fallback("5s"));
    keys.push_back(config_key("command_timeout", ValueType::duration,
                              "a command without an answer this long drops the connection, "
                              "which then reconnects")
                       .fallback("2s"));
    keys.push_back(config_key("reconnect_delay", ValueType::duration,
                              "first wait before reconnecting; doubles up to reconnect_delay_max")
                       .fallback("100ms"));
    keys.push_back(config_key("reconnect_delay_max", ValueType::duration,
                              "longest wait between reconnection attempts")
                       .fallback("5s"));
}

/// Problems of the connection keys that the schema cannot express (for `relay check`).
inline std::vector<sdk::KeyProblem> check_connection(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    try {
        (void)parse_address(config.string("url"));
    } catch (const std::invalid_argument& e) {
        problems.push_back({"url", e.what()});
    }
    return problems;
}

/// Reads the connection keys. Throws sdk::ConfigError located at the bad key.
inline ConnectionOptions parse_connection(const sdk::ConfigView& config) {
    ConnectionOptions options;
    try {
        options.address = parse_address(config.string("url"));
    } catch (const std::invalid_argument& e) {
        config.fail("url", e.what());
    }
    if (config.is_set("user")) options.address.user = config.string("user");
    if (config.is_set("password")) options.address.password = config.string("password");
    if (config.is_set("database")) {
        const auto db = config.integer("database");
        if (db < 0)
            config.fail("database", "expected a non-negative integer, got " + std::to_string(db));
        options.address.database = static_cast<int>(db);
    }
    if (!options.address.user.empty() && options.address.password.empty()) {
        config.fail("user", "an ACL user needs a password; set `password` or put it in the url");
    }
    auto positive = [&](std::string_view key) {
        const auto value = config.duration(key);
        if (value.count() <= 0) {
            config.fail(
                key, "expected a positive duration, got " + std::to_string(value.count()) + "ms");
        }
        return value;
    };
    options.connect_timeout = positive("connect_timeout");
    options.command_timeout = positive("command_timeout");
    options.reconnect_delay = positive("reconnect_delay");
    options.reconnect_delay_max = positive("reconnect_delay_max");
    if (options.reconnect_delay_max < options.reconnect_delay) {
        config.fail("reconnect_delay_max",
                    "expected at least reconnect_delay (" +
                        std::to_string(options.reconnect_delay.count()) + "ms), got " +
                        std::to_string(options.reconnect_delay_max.count()) + "ms");
    }
    return options;
}

}  // namespace relay::plugins::valkey
