#pragma once
#include <relay/sdk/health.hpp>
#include <relay/sdk/metrics.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace relay::host {

/// Which plugins say they are degraded, and why: what /readyz lists.
/// Thread safety: any thread.
class HealthBoard {
public:
    explicit HealthBoard(sdk::Metrics& metrics);
    ~HealthBoard();
    HealthBoard(const HealthBoard&) = delete;
    HealthBoard& operator=(const HealthBoard&) = delete;
    HealthBoard(HealthBoard&&) = delete;
    HealthBoard& operator=(HealthBoard&&) = delete;

    /// The Health a plugin reports through, named by its label ("presence 'valkey'").
    /// The board owns it; it lives as long as the board.
    sdk::Health& reporter(const std::string& label);

    /// One line per degraded plugin, "label: reason\n", in label order; empty if none.
    std::string degradations() const;

private:
    class Reporter;
    void set(const std::string& label, std::string reason);
    void clear(const std::string& label);

    sdk::Gauge& degraded_count_;
    mutable std::mutex mutex_;
    std::map<std::string, std::string> reasons_;
    std::map<std::string, std::unique_ptr<Reporter>> reporters_;
};

}  // namespace relay::host
