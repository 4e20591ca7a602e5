#pragma once
#include <string_view>

namespace relay::sdk {

enum class LogLevel { trace, debug, info, warn, error, critical, off };

/// A plugin's logger. The host routes it into its own log (spdlog) with the plugin's
/// name attached, so plugins need no logging library. Thread safety: any thread.
/// Never throws. Check `enabled()` before formatting an expensive message.
class Logger {
public:
    virtual ~Logger() = default;
    virtual bool enabled(LogLevel level) const noexcept = 0;
    virtual void log(LogLevel level, std::string_view message) noexcept = 0;

    void trace(std::string_view m) noexcept { log(LogLevel::trace, m); }
    void debug(std::string_view m) noexcept { log(LogLevel::debug, m); }
    void info(std::string_view m) noexcept { log(LogLevel::info, m); }
    void warn(std::string_view m) noexcept { log(LogLevel::warn, m); }
    void error(std::string_view m) noexcept { log(LogLevel::error, m); }
};

}  // namespace relay::sdk
