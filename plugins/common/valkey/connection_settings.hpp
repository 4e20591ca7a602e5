#pragma once
/// The connection keys both Valkey plugins share (url, login, timeouts, backoff), bound
/// to ConnectionOptions: each plugin includes connection_binding() in its own binding,
/// so these keys' defaults and bounds are written once, here and in ConnectionOptions.
#include "address.hpp"
#include "connection.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace relay::plugins::valkey {

/// Problems of the connection keys that their bounds cannot express: a bad url, an ACL
/// user without a password, reconnect_delay_max below reconnect_delay. The plugins'
/// manifest checks report them (`relay check`), and read() fails at the first.
inline std::vector<sdk::KeyProblem> check_connection(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    Address address;
    try {
        address = parse_address(config.string("url"));
    } catch (const std::invalid_argument& e) {
        problems.push_back({"url", e.what()});
    }
    const std::string user = config.is_set("user") ? config.string("user") : address.user;
    const std::string password =
        config.is_set("password") ? config.string("password") : address.password;
    if (!user.empty() && password.empty()) {
        problems.push_back(
            {"user", "an ACL user needs a password; set `password` or put it in the url"});
    }
    const auto delay = config.duration("reconnect_delay");
    const auto delay_max = config.duration("reconnect_delay_max");
    if (delay_max < delay) {
        problems.push_back({"reconnect_delay_max", "expected at least reconnect_delay (" +
                                                       std::to_string(delay.count()) + "ms), got " +
                                                       std::to_string(delay_max.count()) + "ms"});
    }
    return problems;
}

/// The connection keys, bound to ConnectionOptions. `url` sets the whole address; `user`,
/// `password` and `database` override its parts only when set in the file.
inline const sdk::SettingsBinding<ConnectionOptions>& connection_binding() {
    using sdk::config_key;
    using sdk::ValueType;
    using std::chrono::milliseconds;
    auto database = config_key("database", ValueType::integer,
                               "database index to SELECT (overrides the URL's /db)")
                        .fallback(std::to_string(Address{}.database))
                        .at_least(0);
    static const auto bound =
        sdk::SettingsBinding<ConnectionOptions>()
            .add_read(config_key("url", ValueType::string,
                                 "server: host:port or redis://[user:password@]host:port[/db]")
                          .fallback("redis://" + Address{}.endpoint()),
                      [](const sdk::ConfigView& config, ConnectionOptions& options) {
                          try {
                              options.address = parse_address(config.string("url"));
                          } catch (const std::invalid_argument& e) {
                              config.fail("url", e.what());
                          }
                      })
            .add_read(config_key("user", ValueType::string,
                                 "ACL user name (overrides the URL's); empty: default")
                          .fallback(""),
                      [](const sdk::ConfigView& config, ConnectionOptions& options) {
                          if (config.is_set("user")) options.address.user = config.string("user");
                      })
            .add_read(config_key("password", ValueType::string,
                                 "password for AUTH (overrides the URL's); empty: no AUTH")
                          .fallback("")
                          .hidden(),
                      [](const sdk::ConfigView& config, ConnectionOptions& options) {
                          if (config.is_set("password")) {
                              options.address.password = config.string("password");
                          }
                      })
            .add_read(database,
                      [database](const sdk::ConfigView& config, ConnectionOptions& options) {
                          if (config.is_set("database")) {
                              options.address.database = sdk::read_bound<int>(config, database);
                          }
                      })
            .add(config_key("connect_timeout", ValueType::duration,
                            "how long one connection attempt (with AUTH) may take")
                     .at_least(milliseconds(1)),
                 &ConnectionOptions::connect_timeout)
            .add(config_key("command_timeout", ValueType::duration,
                            "a command without an answer this long drops the connection, "
                            "which then reconnects")
                     .at_least(milliseconds(1)),
                 &ConnectionOptions::command_timeout)
            .add(config_key("reconnect_delay", ValueType::duration,
                            "first wait before reconnecting; doubles up to reconnect_delay_max")
                     .at_least(milliseconds(1)),
                 &ConnectionOptions::reconnect_delay)
            .add(config_key("reconnect_delay_max", ValueType::duration,
                            "longest wait between reconnection attempts")
                     .at_least(milliseconds(1)),
                 &ConnectionOptions::reconnect_delay_max)
            .check_problems(check_connection);
    return bound;
}

}  // namespace relay::plugins::valkey
