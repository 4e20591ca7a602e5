#pragma once
/// The memory queue's configuration: its keys as data, and their parsing into the
/// plain Settings the implementation takes. Only plugin.cpp and tests include this.
#include "store_feed/batch_settings.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

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
    /// How long a store batch may wait to fill before it is handed over.
    std::chrono::milliseconds store_batch_delay{2};
    store_feed::BatchSettings store;  ///< store_batch_max, store_retry_delay
    /// Recent messages kept for read_after().
    std::size_t retain = 10000;
    std::uint64_t retain_bytes = std::uint64_t{16} * 1024 * 1024;
};

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add_choice(config_key("ack", ValueType::string,
                                   "when a sender's ack fires in a pipeline with a store: `stored` "
                                   "once the store committed the message (it is broadcast then "
                                   "too; survives kill -9), `accepted` as soon as it is in memory "
                                   "(faster, lost if the process dies)"),
                        &Settings::ack,
                        {{"stored", AckMode::stored}, {"accepted", AckMode::accepted}})
            .add(config_key("capacity", ValueType::integer,
                            "max messages accepted but not yet stored; beyond it publishes fail "
                            "with queue_full")
                     .at_least(1),
                 &Settings::capacity)
            .add(config_key("max_bytes", ValueType::size,
                            "max bytes of messages accepted but not yet stored; beyond it "
                            "publishes fail with queue_full")
                     .at_least(1),
                 &Settings::max_bytes)
            .include(store_feed::batch_binding(), &Settings::store)
            .add(config_key("store_batch_delay", ValueType::duration,
                            "group commit window: how long a store batch may wait to fill (one "
                            "store transaction for many messages); with ack: stored it adds up to "
                            "this much to an ack; 0: hand over at once"),
                 &Settings::store_batch_delay)
            .add(config_key("retain", ValueType::integer,
                            "recent messages kept for reconnecting clients (read_after)")
                     .at_least(0),
                 &Settings::retain)
            .add(config_key("retain_bytes", ValueType::size,
                            "max bytes of the recent messages kept for reconnecting clients")
                     .at_least(0),
                 &Settings::retain_bytes);
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

}  // namespace relay::plugins::memory
