#pragma once
#include "runtime/metrics_registry.hpp"

#include <relay/sdk/health.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relay::host {

/// What every plugin says about its health (sdk::Health), for /readyz and /metrics:
/// `relay_plugin_up{plugin=...}` (1 working or degraded, 0 unavailable),
/// `relay_plugin_degraded{plugin=...}` (1 while degraded),
/// `relay_plugin_unavailable_total{plugin=...}`, `relay_plugins_degraded`,
/// `relay_plugins_unavailable`. Each change of state is logged once.
/// Thread safety: any thread.
class HealthBoard {
public:
    explicit HealthBoard(MetricsRegistry& metrics);
    ~HealthBoard();
    HealthBoard(const HealthBoard&) = delete;
    HealthBoard& operator=(const HealthBoard&) = delete;
    HealthBoard(HealthBoard&&) = delete;
    HealthBoard& operator=(HealthBoard&&) = delete;

    /// The Health a plugin reports through, named by its label ("presence 'valkey'")
    /// and, in metrics, by `metric_name` ("presence/valkey"). The board owns it; it
    /// lives as long as the board.
    sdk::Health& reporter(const std::string& label, const std::string& metric_name);

    /// One line per degraded plugin, "label: reason\n", in label order; empty if none.
    std::string degradations() const;
    /// One line per unavailable plugin, "label: reason\n", in label order; empty if none.
    std::string unavailabilities() const;

    /// What one plugin says now, for the admin page.
    struct PluginHealth {
        std::string label;        ///< "presence 'valkey'"
        std::string metric_name;  ///< "presence/valkey"
        std::string state;        ///< "working", "degraded" or "unavailable"
        std::string reason;       ///< empty while working
    };
    /// Every plugin, in label order.
    std::vector<PluginHealth> plugins() const;

private:
    class Reporter;
    enum class State { working, degraded, unavailable };
    struct Plugin {
        std::unique_ptr<Reporter> reporter;
        State state = State::working;
        std::string reason;
        std::string metric_name;
        sdk::Gauge* up = nullptr;
        sdk::Gauge* degraded = nullptr;
        sdk::Counter* went_unavailable = nullptr;
    };
    void set(const std::string& label, State state, std::string_view reason);
    std::string lines(State state) const;

    MetricsRegistry& metrics_;
    sdk::Gauge& degraded_count_;
    sdk::Gauge& unavailable_count_;
    mutable std::mutex mutex_;
    std::map<std::string, Plugin> plugins_;
};

}  // namespace relay::host
