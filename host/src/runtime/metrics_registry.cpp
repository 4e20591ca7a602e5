#include "runtime/metrics_registry.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace relay::host {
namespace {

// The SDK labels a series in its name, `rate_limit_rejected_total{kind="user"}`: the
// family is the part before the brace, the labels the text between the braces.
std::pair<std::string_view, std::string> split_labels(std::string_view name) {
    const auto brace = name.find('{');
    if (brace == std::string_view::npos || name.back() != '}') return {name, {}};
    return {name.substr(0, brace), std::string(name.substr(brace + 1, name.size() - brace - 2))};
}

}  // namespace

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 bool is_counter, const std::string& labels) {
    const std::string full = "relay_" + std::string(name);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(full);
    if (it == entries_.end()) {
        it = entries_.emplace(full, Entry{std::string(help), is_counter, {}}).first;
    }
    if (it->second.is_counter != is_counter) {
        throw std::logic_error("metric '" + full + "' registered as both counter and gauge");
    }
    auto& slot = it->second.series[labels];
    if (is_counter && !slot.counter) slot.counter = std::make_unique<sdk::Counter>();
    if (!is_counter && !slot.gauge) slot.gauge = std::make_unique<sdk::Gauge>();
    return slot;
}

sdk::Counter& MetricsRegistry::counter(std::string_view name, std::string_view help) {
    const auto [family, labels] = split_labels(name);
    return *series(family, help, true, labels).counter;
}

sdk::Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help) {
    const auto [family, labels] = split_labels(name);
    return *series(family, help, false, labels).gauge;
}

sdk::Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                       const std::string& labels) {
    return *series(name, help, true, labels).counter;
}

sdk::Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                                   const std::string& labels) {
    return *series(name, help, false, labels).gauge;
}

std::string MetricsRegistry::render_prometheus() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, e.help, name,
                           e.is_counter ? "counter" : "gauge");
        for (const auto& [labels, s] : e.series) {
            const auto value =
                e.is_counter ? static_cast<std::int64_t>(s.counter->value()) : s.gauge->value();
            if (labels.empty()) {
                out += fmt::format("{} {}\n", name, value);
            } else {
                out += fmt::format("{}{{{}}} {}\n", name, labels, value);
            }
        }
    }
    return out;
}

std::vector<MetricsRegistry::Sample> MetricsRegistry::samples() const {
    std::vector<Sample> out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
        for (const auto& [labels, s] : e.series) {
            out.push_back(
                {name, labels,
                 e.is_counter ? static_cast<std::int64_t>(s.counter->value()) : s.gauge->value()});
        }
    }
    return out;
}

}  // namespace relay::host
