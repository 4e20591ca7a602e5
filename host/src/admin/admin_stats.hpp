#pragma once
#include "flow/busy_rooms.hpp"
#include "runtime/health_board.hpp"
#include "runtime/metrics_registry.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/presence.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace relay::host {

/// What the admin page (admin_page.hpp) reads every second from GET /admin/stats,
/// protected as /metrics is: one JSON object,
///
///     {"node": "eu-1", "version": "0.9.0", "uptime_ms": 81234, "time_ms": 1700000000123,
///      "metrics": {"relay_websocket_connections": 12,
///                  "relay_plugin_up{plugin=\"queue/kafka\"}": 1, …},
///      "plugins": [{"name": "queue 'kafka'", "metric": "queue/kafka",
///                   "state": "degraded", "reason": "…"}, …],
///      "rooms": {"span_ms": 14000, "top": [{"room": "lobby", "messages": 120,
///                "per_second": 8.6, "overcount": 0}, …]},
///      "nodes": [{"node": "eu-1", "members": 12, "self": true},
///                {"node": "eu-2", "members": 9, "self": false}]}
///
/// `metrics` holds every series of /metrics by its Prometheus name, so the page takes
/// rates from two answers without a second exposition format to keep in step.
/// `nodes` is what presence lists (Presence::nodes(), as GET /api/v1/nodes has it);
/// when it lists none (a presence without nodes(), a backend out of reach, no answer
/// within kNodesDeadline) `nodes` is null and `nodes_problem` says why, in words.
/// Thread safety: render() from any thread; everything it reads is thread-safe.
class AdminStats {
public:
    /// The number of rooms in "rooms.top".
    static constexpr std::size_t kTopRooms = 10;
    /// How long the answer waits for presence's node list before it goes without.
    static constexpr std::chrono::seconds kNodesDeadline{2};

    using Rendered = std::function<void(std::string)>;

    /// `executor`: where render()'s answers run. `presence` outlives this object.
    AdminStats(std::string node_id, const MetricsRegistry& metrics, const HealthBoard& health,
               const BusyRooms& rooms, sdk::Presence& presence, sdk::Executor executor);

    /// Hands the answer's JSON to `done`, exactly once, on the executor: once presence
    /// has listed the nodes, or answered why not, or kNodesDeadline passed.
    void render(Rendered done) const;

private:
    const std::string node_id_;
    const MetricsRegistry& metrics_;
    const HealthBoard& health_;
    const BusyRooms& rooms_;
    sdk::Presence& presence_;
    const sdk::Executor executor_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace relay::host
