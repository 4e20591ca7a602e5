#pragma once
#include <relay/sdk/metrics.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relay::host {

/// The host's metrics. Metrics are created once and never removed, so references
/// handed out stay valid for the registry's lifetime (the host's).
/// Thread safety: any thread; creation takes a lock, updates are lock-free.
class MetricsRegistry final : public sdk::Metrics {
public:
    sdk::Counter& counter(std::string_view name, std::string_view help) override;
    sdk::Gauge& gauge(std::string_view name, std::string_view help) override;

    /// One series of a labelled metric: `labels` is Prometheus label text without
    /// braces (`plugin="queue/kafka"`); one name, one help and kind for every series.
    /// For the host's own per-plugin metrics (the SDK's Metrics has no labels).
    sdk::Counter& counter(std::string_view name, std::string_view help, const std::string& labels);
    sdk::Gauge& gauge(std::string_view name, std::string_view help, const std::string& labels);

    /// Prometheus text exposition format (version 0.0.4).
    std::string render_prometheus() const;

    /// One series' value now, for the admin page's JSON (admin/admin_stats.hpp).
    struct Sample {
        std::string name;    ///< with the "relay_" prefix
        std::string labels;  ///< label text without braces; empty: unlabelled
        std::int64_t value = 0;
    };
    /// Every series, in the order render_prometheus() writes them.
    std::vector<Sample> samples() const;

private:
    struct Series {
        std::unique_ptr<sdk::Counter> counter;
        std::unique_ptr<sdk::Gauge> gauge;
    };
    struct Entry {
        std::string help;
        bool is_counter = false;
        std::map<std::string, Series> series;  // by label text; "" unlabelled
    };
    Series& series(std::string_view name, std::string_view help, bool is_counter,
                   const std::string& labels);

    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace relay::host
