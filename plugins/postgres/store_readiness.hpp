#pragma once
/// What the host hears about the store's health (sdk::Health: /readyz,
/// relay_plugin_up), and whether history should fail fast.
#include "store_context.hpp"

#include <string>

namespace relay::plugins::postgres {

/// The writer's connection stands for the store: losing it while the store runs
/// reports the store unavailable at once; it is working again once a write goes
/// through (the reconnection's set-up statements when nothing waits, else the first
/// batch committed). Separately, a failed reconnect means the server is out of
/// reach (not merely a terminated connection): history then fails at once instead of
/// waiting history_timeout for a reader.
///
/// On the store's executor only; owns two flags and nothing else.
class StoreReadiness {
public:
    explicit StoreReadiness(const StoreContext& ctx) : ctx_(ctx) {}

    /// The store started: losses are reported from now on.
    void watch() noexcept { watching_ = true; }
    /// The store stops: a loss now is not news for /readyz.
    void unwatch() noexcept { watching_ = false; }

    void writer_lost(const std::string& error);
    /// A write went through: recovered, if it was unavailable.
    void writes_flow();

    void server_unreachable() noexcept { unreachable_ = true; }
    void server_reached() noexcept { unreachable_ = false; }
    /// The writer's last reconnect failed.
    bool unreachable() const noexcept { return unreachable_; }

private:
    const StoreContext& ctx_;
    bool watching_ = false;
    bool unavailable_ = false;  // told the host; until a write goes through again
    bool unreachable_ = false;  // the writer's last reconnect failed: history fails fast
};

}  // namespace relay::plugins::postgres
