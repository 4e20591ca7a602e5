#pragma once
/// The rate_limit processor's configuration: its keys as data, the rate notation
/// (`20/s`) they share, and their parsing into the plain Settings the limiter takes.
/// Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>
#include <relay/sdk/token_bucket.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
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

/// A rate as the keys write it: 20/s, 0.5/s, off.
inline std::string format_rate(double per_second) {
    if (per_second == 0) return "off";
    return sdk::values::format_number(per_second) + "/s";
}

/// The two keys of one kind's rate (`per_user`, `per_user_burst`) feeding its Rate
/// member; the defaults are the member's.
template <class Binding>
Binding&& add_rate(Binding&& binding, std::string_view kind, Rate Settings::*member,
                   std::string rate_description, std::string burst_description) {
    using sdk::config_key;
    using sdk::ValueType;
    const Rate made = Settings{}.*member;
    const std::string rate_key(kind);
    auto burst_key =
        config_key(rate_key + "_burst", ValueType::integer, std::move(burst_description))
            .fallback(std::to_string(static_cast<std::int64_t>(made.burst)))
            .at_least(1);
    return std::forward<Binding>(binding)
        .add_read(config_key(rate_key, ValueType::string, std::move(rate_description))
                      .fallback(format_rate(made.per_second)),
                  [rate_key, member](const sdk::ConfigView& config, Settings& settings) {
                      const auto text = config.string(rate_key);
                      const auto per_second = parse_rate(text);
                      if (!per_second) config.fail(rate_key, bad_rate_message(text));
                      (settings.*member).per_second = *per_second;
                  })
        .add_read(burst_key,
                  [burst_key, member](const sdk::ConfigView& config, Settings& settings) {
                      (settings.*member).burst =
                          static_cast<double>(sdk::read_bound<std::int64_t>(config, burst_key));
                  });
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound = [] {
        auto rates = add_rate(
            add_rate(add_rate(sdk::SettingsBinding<Settings>(), "per_connection",
                              &Settings::per_connection,
                              "messages one connection (Socket.IO sid) may send: a rate like "
                              "20/s, 600/m or off",
                              "messages one connection may send at once before per_connection "
                              "holds it back"),
                     "per_user", &Settings::per_user,
                     "messages one user name may send across its connections (off: user names "
                     "are what clients claim unless an earlier processor sets them)",
                     "messages one user may send at once before per_user holds it back"),
            "per_address", &Settings::per_address,
            "messages one remote address may send across its connections (off: behind a proxy "
            "every client has the proxy's address)",
            "messages one address may send at once before per_address holds it back");
        return std::move(rates).add(
            config_key("max_tracked_keys", ValueType::integer,
                       "connections, users and addresses tracked each (~150 bytes a key); past "
                       "it the least recently seen is forgotten (idle ones go first)")
                .at_least(1),
            &Settings::max_tracked_keys);
    }();
    return bound;
}

inline sdk::Schema schema() {
    return binding().schema();
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value check() or the
/// schema's bounds should have caught (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::rate_limit
