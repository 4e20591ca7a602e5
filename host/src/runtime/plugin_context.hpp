#pragma once
#include "runtime/plugin_logger.hpp"

#include <relay/sdk/context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace relay::host {

/// The context one plugin object gets: its config, its home executor, the I/O
/// executors, a logger tagged with its slot, the host's metrics, its health reporter,
/// the node's id and drain timeout.
class HostPluginContext final : public sdk::PluginContext {
public:
    HostPluginContext(std::shared_ptr<const sdk::ConfigView> config, sdk::Executor home,
                      const std::vector<sdk::Executor>& io,  // NOLINT(modernize-pass-by-value)
                      std::unique_ptr<PluginLogger> log, sdk::Metrics& metrics, sdk::Health& health,
                      std::string node_id, std::chrono::milliseconds drain_timeout)
        : config_(std::move(config)),
          home_(std::move(home)),
          io_(io),
          log_(std::move(log)),
          metrics_(metrics),
          health_(health),
          node_id_(std::move(node_id)),
          drain_timeout_(drain_timeout) {}

    const sdk::ConfigView& config() const override { return *config_; }
    sdk::Executor executor() const override { return home_; }
    std::span<const sdk::Executor> io_executors() const override { return io_; }
    sdk::Logger& log() const override { return *log_; }
    sdk::Metrics& metrics() const override { return metrics_; }
    sdk::Health& health() const override { return health_; }
    std::string_view node_id() const override { return node_id_; }
    std::chrono::milliseconds drain_timeout() const override { return drain_timeout_; }

private:
    std::shared_ptr<const sdk::ConfigView> config_;
    sdk::Executor home_;
    const std::vector<sdk::Executor>& io_;  // the host's, shared by every plugin
    std::unique_ptr<PluginLogger> log_;
    sdk::Metrics& metrics_;
    sdk::Health& health_;
    std::string node_id_;
    std::chrono::milliseconds drain_timeout_;
};

}  // namespace relay::host
