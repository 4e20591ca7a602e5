#pragma once
/// The store subscription keys every queue shares (`store_batch_max`,
/// `store_retry_delay`), bound to BatchSettings: each queue includes batch_binding() in
/// its own binding, so these keys' defaults and bounds are written once, here.
#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <chrono>
#include <cstddef>

namespace relay::plugins::store_feed {

/// How a queue batches what it hands to the store subscription.
struct BatchSettings {
    std::size_t batch_max = 500;
    /// The wait after a failed commit before the batch is handed over again.
    std::chrono::milliseconds retry_delay{200};
};

inline const sdk::SettingsBinding<BatchSettings>& batch_binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound =
        sdk::SettingsBinding<BatchSettings>()
            .add(config_key("store_batch_max", ValueType::integer,
                            "max messages per batch handed to the store")
                     .at_least(1),
                 &BatchSettings::batch_max)
            .add(config_key("store_retry_delay", ValueType::duration,
                            "wait before redelivering a batch the store failed to commit"),
                 &BatchSettings::retry_delay);
    return bound;
}

}  // namespace relay::plugins::store_feed
