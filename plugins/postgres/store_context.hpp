#pragma once
/// What the parts of the postgres store share: its settings, where it connects, the
/// plugin's executor, log, health and metrics. Every part runs on that one executor
/// (no part has a thread or a lock of its own), so sharing these needs no
/// synchronisation; each part owns its connections, timers and queues alone.
#include "pg_connection.hpp"
#include "settings.hpp"

#include <relay/sdk/context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace relay::plugins::postgres {

/// The store's metrics, registered once.
struct StoreMetrics {
    sdk::Counter& batches;
    sdk::Counter& written;
    sdk::Counter& duplicates;
    sdk::Counter& errors;
    sdk::Counter& reconnects;
    sdk::Counter& queries;
    sdk::Counter& history_failures;
    sdk::Gauge& queued;

    static StoreMetrics register_in(sdk::Metrics& metrics);
};

/// Shared, read-only after construction (the metrics count).
struct StoreContext {
    /// Holds the whole store alive: every part's asynchronous handler keeps one, so
    /// a part may call its siblings from any handler (the store lives until the last
    /// handler ran, or was destroyed with the io_context).
    using KeepAlive = std::function<std::shared_ptr<void>()>;

    StoreContext(Settings settings_in, sdk::PluginContext& ctx, KeepAlive keep_alive_in);

    const Settings settings;
    const Target target;
    const std::string where;  // for log lines: host, port, database, user
    const sdk::Executor executor;
    sdk::Logger& log;
    sdk::Health& health;
    const StoreMetrics metrics;
    const KeepAlive keep_alive;

    std::shared_ptr<Connection> make_connection() const;
    /// Statements every new session runs first.
    std::vector<Statement> session_setup() const;
};

}  // namespace relay::plugins::postgres
