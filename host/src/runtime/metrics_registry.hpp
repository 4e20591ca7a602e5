#pragma once
#include <relay/sdk/metrics.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace relay::host {

/// The host's metrics. Metrics are created once and never removed, so references
/// handed out stay valid for the registry's lifetime (the host's).
/// Thread safety: any thread; creation takes a lock, updates are lock-free.
class MetricsRegistry final : public sdk::Metrics {
public:
    sdk::Counter& counter(std::string_view name, std::string_view help) override;
    sdk::Gauge& gauge(std::string_view name, std::string_view help) override;

    /// Prometheus text exposition format (version 0.0.4).
    std::string render_prometheus() const;

private:
    struct Entry {
        std::string help;
        std::unique_ptr<sdk::Counter> counter;
        std::unique_ptr<sdk::Gauge> gauge;
    };
    Entry& entry(std::string_view name, std::string_view help, bool is_counter);

    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace relay::host
