#include "runtime/journal_stream.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::host {
namespace {

std::string formatted(bool journal, spdlog::level::level_enum level) {
    const spdlog::details::log_msg msg("relay", level, "[queue/memory] hello");
    spdlog::memory_buf_t out;
    stderr_log_format(journal)->format(msg, out);
    return {out.data(), out.size()};
}

TEST(JournalStream, UnderTheJournalALineStartsWithItsSyslogPriority) {
    EXPECT_EQ(formatted(true, spdlog::level::info), "<6>info  [queue/memory] hello\n");
    EXPECT_EQ(formatted(true, spdlog::level::warn), "<4>warning [queue/memory] hello\n");
    EXPECT_EQ(formatted(true, spdlog::level::err), "<3>error [queue/memory] hello\n");
    EXPECT_EQ(formatted(true, spdlog::level::critical), "<2>critical [queue/memory] hello\n");
    EXPECT_EQ(formatted(true, spdlog::level::debug), "<7>debug [queue/memory] hello\n");
}

TEST(JournalStream, ElsewhereALineStartsWithItsTime) {
    const auto line = formatted(false, spdlog::level::warn);
    EXPECT_NE(line.find(" warning [queue/memory] hello\n"), std::string::npos) << line;
    EXPECT_EQ(line.find('<'), std::string::npos) << line;
    EXPECT_EQ(line.substr(4, 1), "-") << line;  // 2026-...
}

}  // namespace
}  // namespace relay::host
