#include "runtime/metrics_registry.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace relay::host {

MetricsRegistry::Entry& MetricsRegistry::entry(std::string_view name, std::string_view help,
                                               bool is_counter) {
    const std::string full = "relay_" + std::string(name);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(full);
    if (it == entries_.end()) {
        Entry fresh{std::string(help), nullptr, nullptr};
        if (is_counter) {
            fresh.counter = std::make_unique<sdk::Counter>();
        } else {
            fresh.gauge = std::make_unique<sdk::Gauge>();
        }
        it = entries_.emplace(full, std::move(fresh)).first;
    }
    if ((it->second.counter != nullptr) != is_counter) {
        throw std::logic_error("metric '" + full + "' registered as both counter and gauge");
    }
    return it->second;
}

sdk::Counter& MetricsRegistry::counter(std::string_view name, std::string_view help) {
    return *entry(name, help, true).counter;
}

sdk::Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help) {
    return *entry(name, help, false).gauge;
}

std::string MetricsRegistry::render_prometheus() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
        const bool counter = e.counter != nullptr;
        out +=
            fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, e.help, name,
                        counter ? "counter" : "gauge", name,
                        counter ? static_cast<std::int64_t>(e.counter->value()) : e.gauge->value());
    }
    return out;
}

}  // namespace relay::host
