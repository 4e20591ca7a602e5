#include "runtime/plugin_logger.hpp"

#include "runtime/journal_stream.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace relay::host {
namespace {

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) {
    switch (level) {
        case sdk::LogLevel::trace: return spdlog::level::trace;
        case sdk::LogLevel::debug: return spdlog::level::debug;
        case sdk::LogLevel::info: return spdlog::level::info;
        case sdk::LogLevel::warn: return spdlog::level::warn;
        case sdk::LogLevel::error: return spdlog::level::err;
        case sdk::LogLevel::critical: return spdlog::level::critical;
        case sdk::LogLevel::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

}  // namespace

PluginLogger::PluginLogger(std::shared_ptr<spdlog::logger> sink, std::string tag)
    : sink_(std::move(sink)), tag_(std::move(tag)) {}

bool PluginLogger::enabled(sdk::LogLevel level) const noexcept {
    return sink_->should_log(to_spdlog(level));
}

void PluginLogger::log(sdk::LogLevel level, std::string_view message) noexcept {
    try {
        sink_->log(to_spdlog(level), "[{}] {}", tag_, message);
    } catch (...) {  // logging must never take the data path down
    }
}

std::shared_ptr<spdlog::logger> setup_logging(std::string_view level) {
    auto logger = spdlog::get("relay");
    if (!logger) {
        logger = spdlog::stderr_color_mt("relay");
        logger->set_formatter(stderr_log_format(stderr_is_journal()));
        spdlog::set_default_logger(logger);
    }
    logger->set_level(spdlog::level::from_str(std::string(level)));
    // Warnings and errors reach the terminal at once; info lines may batch.
    logger->flush_on(spdlog::level::warn);
    return logger;
}

}  // namespace relay::host
