#include "runtime/health_board.hpp"

#include <spdlog/spdlog.h>

namespace relay::host {

class HealthBoard::Reporter final : public sdk::Health {
public:
    Reporter(HealthBoard& board, std::string label) : board_(board), label_(std::move(label)) {}
    void degraded(std::string_view reason) override { board_.set(label_, State::degraded, reason); }
    void unavailable(std::string_view reason) override {
        board_.set(label_, State::unavailable, reason);
    }
    void recovered() override { board_.set(label_, State::working, {}); }

private:
    HealthBoard& board_;
    const std::string label_;
};

HealthBoard::HealthBoard(MetricsRegistry& metrics)
    : metrics_(metrics),
      degraded_count_(metrics.gauge("plugins_degraded",
                                    "plugins that report they work only in part (see /readyz)")),
      unavailable_count_(metrics.gauge(
          "plugins_unavailable",
          "plugins that report they cannot work; /readyz answers 503 while any does")) {}

HealthBoard::~HealthBoard() = default;

sdk::Health& HealthBoard::reporter(const std::string& label, const std::string& metric_name) {
    const std::string labels = "plugin=\"" + metric_name + "\"";
    auto& up = metrics_.gauge("plugin_up",
                              "1 while the plugin works (fully or degraded), 0 while it reports "
                              "it cannot (see /readyz)",
                              labels);
    auto& went_unavailable = metrics_.counter(
        "plugin_unavailable_total", "times the plugin reported that it cannot work", labels);
    // Per plugin, so an alert names the plugin (relay_plugins_degraded only counts them).
    auto& degraded =
        metrics_.gauge("plugin_degraded",
                       "1 while the plugin reports it works only in part (see /readyz)", labels);
    std::lock_guard lock(mutex_);
    auto& plugin = plugins_[label];
    if (!plugin.reporter) {
        plugin.reporter = std::make_unique<Reporter>(*this, label);
        plugin.metric_name = metric_name;
        plugin.up = &up;
        plugin.degraded = &degraded;
        plugin.went_unavailable = &went_unavailable;
        up.set(1);
    }
    return *plugin.reporter;
}

std::string HealthBoard::degradations() const {
    return lines(State::degraded);
}

std::string HealthBoard::unavailabilities() const {
    return lines(State::unavailable);
}

std::vector<HealthBoard::PluginHealth> HealthBoard::plugins() const {
    std::lock_guard lock(mutex_);
    std::vector<PluginHealth> out;
    out.reserve(plugins_.size());
    for (const auto& [label, plugin] : plugins_) {
        const char* state = plugin.state == State::working    ? "working"
                            : plugin.state == State::degraded ? "degraded"
                                                              : "unavailable";
        out.push_back({label, plugin.metric_name, state, plugin.reason});
    }
    return out;
}

std::string HealthBoard::lines(State state) const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& [label, plugin] : plugins_) {
        if (plugin.state == state) text.append(label).append(": ").append(plugin.reason) += '\n';
    }
    return text;
}

void HealthBoard::set(const std::string& label, State state, std::string_view reason) {
    std::lock_guard lock(mutex_);
    auto& plugin = plugins_[label];
    if (plugin.state == state && plugin.reason == reason) return;
    const State before = plugin.state;
    plugin.state = state;
    plugin.reason = std::string(reason);
    plugin.up->set(state == State::unavailable ? 0 : 1);
    plugin.degraded->set(state == State::degraded ? 1 : 0);
    if (state == State::unavailable && before != State::unavailable) plugin.went_unavailable->add();
    std::int64_t degraded = 0;
    std::int64_t unavailable = 0;
    for (const auto& [_, p] : plugins_) {
        degraded += p.state == State::degraded ? 1 : 0;
        unavailable += p.state == State::unavailable ? 1 : 0;
    }
    degraded_count_.set(degraded);
    unavailable_count_.set(unavailable);
    // One line per change, so the log tells when /readyz changed and why.
    auto log = spdlog::default_logger();
    switch (state) {
        case State::unavailable:
            log->error("{} is unavailable: {} (/readyz answers 503)", label, reason);
            break;
        case State::degraded: log->warn("{} is degraded: {}", label, reason); break;
        case State::working: log->info("{} works again", label); break;
    }
}

}  // namespace relay::host
