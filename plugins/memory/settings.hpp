#pragma once
/// The memory queue's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include <relay/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace relay::plugins::memory {

/// When the sender's ack fires in a pipeline with a store.
enum class AckMode {
    stored,    ///< after the store committed the message (then it is broadcast too)
    accepted,  ///< when the queue took it into memory (lost if the process dies)
};

struct Settings {
    AckMode ack = AckMode::stored;
    /// Messages accepted but not yet committed by the store subscription; beyond it
    /// publish() fails with Errc::queue_full.
    std::size_t capacity = 100000;
    /// The same bound in bytes (message_bytes() of each).
    std::uint64_t max_bytes = std::uint64_t{64} * 1024 * 1024;
    std::size_t store_batch_max = 500;
    /// How long a store batch may wait to fill before it is handed over.
    std::chrono::milliseconds store_batch_delay{2};
    std::chrono::milliseconds store_retry_delay{200};
    /// Recent messages kept for read_after().
    std::size_t retain = 10000;
    std::uint64_t retain_bytes = std::uint64_t{16} * 1024 * 1024;
};

/// Every key the plugin accepts, with its default and meaning.
inline sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("ack", ValueType::string,
                   "when a sender's ack fires in a pipeline with a store: `stored` once the "
                   "store committed the message (it is broadcast then too; survives kill -9), "
                   "`accepted` as soon as it is in memory (faster, lost if the process dies)")
            .fallback("stored")
            .one_of({"stored", "accepted"}),
        config_key("capacity", ValueType::integer,
                   "max messages accepted but not yet stored; beyond it publishes fail with "
                   "queue_full")
            .fallback("100000")
            .at_least(1),
        config_key("max_bytes", ValueType::size,
                   "max bytes of messages accepted but not yet stored; beyond it publishes fail "
                   "with queue_full")
            .fallback("64MiB")
            .at_least(1),
        config_key("store_batch_max", ValueType::integer,
                   "max messages per batch handed to the store")
            .fallback("500")
            .at_least(1),
        config_key("store_batch_delay", ValueType::duration,
                   "group commit window: how long a store batch may wait to fill (one store "
                   "transaction for many messages); with ack: stored it adds up to this much "
                   "to an ack; 0: hand over at once")
            .fallback("2ms"),
        config_key("store_retry_delay", ValueType::duration,
                   "wait before redelivering a batch the store failed to commit")
            .fallback("200ms"),
        config_key("retain", ValueType::integer,
                   "recent messages kept for reconnecting clients (read_after)")
            .fallback("10000")
            .at_least(0),
        config_key("retain_bytes", ValueType::size,
                   "max bytes of the recent messages kept for reconnecting clients")
            .fallback("16MiB")
            .at_least(0),
    };
}

/// Reads the validated configuration. Throws sdk::ConfigError for a value the
/// schema's bounds should have caught (a defence for hosts that did not check).
inline Settings parse_settings(const sdk::ConfigView& config) {
    auto integer_at_least = [&](std::string_view key, std::int64_t min) {
        const std::int64_t value = config.integer(key);
        if (value < min) {
            config.fail(key, std::string(min == 0 ? "expected a non-negative integer"
                                                  : "expected a positive integer") +
                                 ", got " + std::to_string(value));
        }
        return static_cast<std::size_t>(value);
    };
    auto non_negative_duration = [&](std::string_view key) {
        const auto value = config.duration(key);
        if (value.count() < 0) {
            config.fail(key, "expected a non-negative duration, got " +
                                 std::to_string(value.count()) + "ms");
        }
        return value;
    };
    Settings settings;
    settings.ack = config.string("ack") == "accepted" ? AckMode::accepted : AckMode::stored;
    settings.capacity = integer_at_least("capacity", 1);
    settings.store_batch_max = integer_at_least("store_batch_max", 1);
    settings.store_batch_delay = non_negative_duration("store_batch_delay");
    settings.store_retry_delay = non_negative_duration("store_retry_delay");
    settings.retain = integer_at_least("retain", 0);
    settings.max_bytes = config.size("max_bytes");
    settings.retain_bytes = config.size("retain_bytes");
    return settings;
}

}  // namespace relay::plugins::memory
