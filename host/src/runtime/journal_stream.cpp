#include "runtime/journal_stream.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>

namespace relay::host {
namespace {

// "%*": the syslog priority of the line's level (sd-daemon.h's SD_WARNING & co.).
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        // trace, debug, info, warn, err, critical, off
        static constexpr std::array<std::string_view, 7> kPrefixes{"<7>", "<7>", "<6>", "<4>",
                                                                   "<3>", "<2>", "<6>"};
        const auto level = static_cast<std::size_t>(msg.level);
        const auto prefix = kPrefixes.at(level < kPrefixes.size() ? level : 2);
        dest.append(prefix.data(), prefix.data() + prefix.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriorityFlag>();
    }
};

}  // namespace

bool stderr_is_journal() {
    // Read while the host starts, before any thread that could change the environment.
    const char* stream = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
    if (stream == nullptr) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return std::string(stream) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::unique_ptr<spdlog::formatter> stderr_log_format(bool journal) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (journal) {
        formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%-5l %v");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    }
    return formatter;
}

}  // namespace relay::host
