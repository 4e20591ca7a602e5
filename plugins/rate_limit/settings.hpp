#pragma once
/// The rate_limit processor's configuration: its keys as data, the rate notation
/// (`20/s`) they share, and their parsing into the plain Settings the limiter takes.
/// Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>
#include <relay/sdk/token_bucket.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::rate_limit {

/// One kind's bucket shape: it refills at `per_second` tokens a second up to `burst`;
/// each message takes one. Off when `per_second` is zero.
using Rate = sdk::TokenRate;

struct Settings {
    Rate per_connection{20, 40};  ///< keyed by Message::sender (the Socket.IO sid)
    Rate per_user{0, 80};         ///< keyed by Message::user; messages without a user pass
    Rate per_address{0, 200};     ///< keyed by Message::remote_address; none: they pass
    /// Keys tracked per kind; past it the least recently seen key is forgotten.
    std::size_t max_tracked_keys = 100000;
};

/// Reads a rate: `<number>/<unit>` with unit s, m or h (`20/s`, `600/m`, `0.5/s`), or
/// `off` / `0`. Returns tokens per second (0: off), or nullopt when it is not a rate.
inline std::optional<double> parse_rate(std::string_view text) {
    if (text == "off" || text == "0") return 0.0;
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    const std::string_view count = text.substr(0, slash);
    const std::string_view unit = text.substr(slash + 1);
    double value = 0;
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), value);
    if (ec != std::errc() || end != count.data() + count.size() || !(value >= 0)) {
        return std::nullopt;
    }
    if (unit == "s") return value;
    if (unit == "m") return value / 60;
    if (unit == "h") return value / 3600;
    return std::nullopt;
}

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("per_connection", ValueType::string,
                   "messages one connection (Socket.IO sid) may send: a rate like 20/s, 600/m "
                   "or off")
            .fallback("20/s"),
        config_key("per_connection_burst", ValueType::integer,
                   "messages one connection may send at once before per_connection holds it "
                   "back")
            .fallback("40")
            .at_least(1),
        config_key("per_user", ValueType::string,
                   "messages one user name may send across its connections (off: user names "
                   "are what clients claim unless an earlier processor sets them)")
            .fallback("off"),
        config_key("per_user_burst", ValueType::integer,
                   "messages one user may send at once before per_user holds it back")
            .fallback("80")
            .at_least(1),
        config_key("per_address", ValueType::string,
                   "messages one remote address may send across its connections (off: behind a "
                   "proxy every client has the proxy's address)")
            .fallback("off"),
        config_key("per_address_burst", ValueType::integer,
                   "messages one address may send at once before per_address holds it back")
            .fallback("200")
            .at_least(1),
        config_key("max_tracked_keys", ValueType::integer,
                   "connections, users and addresses tracked each (~150 bytes a key); past it "
                   "the least recently seen is forgotten (idle ones go first)")
            .fallback("100000")
            .at_least(1),
    };
}

inline constexpr std::string_view kRateKeys[] = {"per_connection", "per_user", "per_address"};

inline std::string bad_rate_message(const std::string& got) {
    return "expected a rate like 20/s, 600/m, 1000/h or off, got \"" + got + "\"";
}

/// The rates that do not parse (schema types cannot say "a rate").
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    for (const auto key : kRateKeys) {
        const auto value = config.string(key);
        if (!parse_rate(value)) problems.push_back({std::string(key), bad_rate_message(value)});
    }
    return problems;
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value check() or the
/// schema's bounds should have caught (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    auto rate = [&](std::string_view key) {
        const auto text = config.string(key);
        const auto per_second = parse_rate(text);
        if (!per_second) config.fail(key, bad_rate_message(text));
        const std::string burst_key = std::string(key) + "_burst";
        const std::int64_t burst = config.integer(burst_key);
        if (burst < 1) {
            config.fail(burst_key, "expected a positive integer, got " + std::to_string(burst));
        }
        return Rate{*per_second, static_cast<double>(burst)};
    };
    Settings settings;
    settings.per_connection = rate("per_connection");
    settings.per_user = rate("per_user");
    settings.per_address = rate("per_address");
    const std::int64_t keys = config.integer("max_tracked_keys");
    if (keys < 1) {
        config.fail("max_tracked_keys", "expected a positive integer, got " + std::to_string(keys));
    }
    settings.max_tracked_keys = static_cast<std::size_t>(keys);
    return settings;
}

}  // namespace relay::plugins::rate_limit
