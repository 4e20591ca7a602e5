#pragma once
#include <relay/sdk/logger.hpp>

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace relay::host {

/// Routes a plugin's log lines into the host's spdlog logger, tagged with the
/// plugin's slot and name ("queue/kafka").
class PluginLogger final : public sdk::Logger {
public:
    PluginLogger(std::shared_ptr<spdlog::logger> sink, std::string tag);
    bool enabled(sdk::LogLevel level) const noexcept override;
    void log(sdk::LogLevel level, std::string_view message) noexcept override;

private:
    std::shared_ptr<spdlog::logger> sink_;
    std::string tag_;
};

/// Sets up the process's logger (stderr, one line per event) at `level`
/// (trace|debug|info|warn|error|off). Returns it; also made spdlog's default.
std::shared_ptr<spdlog::logger> setup_logging(std::string_view level);

}  // namespace relay::host
