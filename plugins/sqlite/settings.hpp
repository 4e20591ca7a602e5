#pragma once
/// The sqlite store's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace relay::plugins::sqlite {

enum class Synchronous { off, normal, full };

struct Settings {
    std::string path = "relay.db";  ///< relative to the working directory
    std::size_t batch_max = 1000;   ///< messages per write transaction
    std::chrono::milliseconds busy_timeout{5000};
    Synchronous synchronous = Synchronous::normal;
};

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add(config_key("path", ValueType::string,
                            "database file, relative to the working directory; parent "
                            "directories are created"),
                 &Settings::path)
            .add(config_key("batch_max", ValueType::integer, "max messages per write transaction")
                     .at_least(1),
                 &Settings::batch_max)
            .add(config_key("busy_timeout", ValueType::duration,
                            "how long to wait for a lock held by another connection"),
                 &Settings::busy_timeout)
            .add_choice(config_key("synchronous", ValueType::string,
                                   "sqlite's synchronous pragma: off, normal or full (the "
                                   "journal is always WAL)"),
                        &Settings::synchronous,
                        {{"off", Synchronous::off},
                         {"normal", Synchronous::normal},
                         {"full", Synchronous::full}})
            .check([](const sdk::ConfigView& config, const Settings& settings) {
                if (settings.path.empty()) {
                    config.fail("path", "expected a file path, got an empty string");
                }
            });
    return bound;
}

inline sdk::Schema schema() {
    return binding().schema();
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds should have caught (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::sqlite
