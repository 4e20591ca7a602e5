#pragma once
#include "flow/busy_rooms.hpp"
#include "runtime/health_board.hpp"
#include "runtime/metrics_registry.hpp"

#include <chrono>
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
///      "nodes": [{"id": "eu-1", "self": true}]}
///
/// `metrics` holds every series of /metrics by its Prometheus name, so the page takes
/// rates from two answers without a second exposition format to keep in step.
/// `nodes` is this node only: no presence plugin tells the host which nodes it knows.
/// Thread safety: render() from any thread; everything it reads is thread-safe.
class AdminStats {
public:
    /// The number of rooms in "rooms.top".
    static constexpr std::size_t kTopRooms = 10;

    AdminStats(std::string node_id, const MetricsRegistry& metrics, const HealthBoard& health,
               const BusyRooms& rooms);

    std::string render() const;

private:
    const std::string node_id_;
    const MetricsRegistry& metrics_;
    const HealthBoard& health_;
    const BusyRooms& rooms_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace relay::host
