#pragma once
/// The sqlite store's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>

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

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("path", ValueType::string,
                   "database file, relative to the working directory; parent directories are "
                   "created")
            .fallback("relay.db"),
        config_key("batch_max", ValueType::integer, "max messages per write transaction")
            .fallback("1000")
            .at_least(1),
        config_key("busy_timeout", ValueType::duration,
                   "how long to wait for a lock held by another connection")
            .fallback("5s"),
        config_key("synchronous", ValueType::string,
                   "sqlite's synchronous pragma: off, normal or full (the journal is always WAL)")
            .fallback("normal")
            .one_of({"off", "normal", "full"}),
    };
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds should have caught (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    Settings settings;
    settings.path = config.string("path");
    if (settings.path.empty()) config.fail("path", "expected a file path, got an empty string");

    const std::int64_t batch_max = config.integer("batch_max");
    if (batch_max < 1) {
        config.fail("batch_max", "expected a positive integer, got " + std::to_string(batch_max));
    }
    settings.batch_max = static_cast<std::size_t>(batch_max);

    settings.busy_timeout = config.duration("busy_timeout");
    if (settings.busy_timeout.count() < 0) {
        config.fail("busy_timeout", "expected a non-negative duration, got " +
                                        std::to_string(settings.busy_timeout.count()) + "ms");
    }

    const std::string synchronous = config.string("synchronous");
    if (synchronous == "off") {
        settings.synchronous = Synchronous::off;
    } else if (synchronous == "normal") {
        settings.synchronous = Synchronous::normal;
    } else if (synchronous == "full") {
        settings.synchronous = Synchronous::full;
    } else {
        config.fail("synchronous",
                    "expected one of off, normal, full, got \"" + synchronous + "\"");
    }
    return settings;
}

}  // namespace relay::plugins::sqlite
