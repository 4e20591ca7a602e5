#include "runtime/metrics_registry.hpp"

#include <stdexcept>
#include <string_view>
#include <vector>

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
    // Series whose names differ only in their labels (`x_total{kind="user"}`) are one
    // family: one HELP and TYPE line, then each series.
    std::string out;
    std::lock_guard lock(mutex_);
    std::map<std::string_view, std::vector<const decltype(entries_)::value_type*>> families;
    for (const auto& named : entries_) {
        const std::string_view name = named.first;
        families[name.substr(0, name.find('{'))].push_back(&named);
    }
    for (const auto& [family, series] : families) {
        const Entry& first = series.front()->second;
        const bool counter = first.counter != nullptr;
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family, first.help, family,
                           counter ? "counter" : "gauge");
        for (const auto* named : series) {
            const Entry& e = named->second;
            out += fmt::format("{} {}\n", named->first,
                               e.counter != nullptr ? static_cast<std::int64_t>(e.counter->value())
                                                    : e.gauge->value());
        }
    }
    return out;
}

}  // namespace relay::host
