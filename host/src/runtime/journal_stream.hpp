#pragma once
#include <memory>
#include <string_view>

#include <spdlog/pattern_formatter.h>

namespace relay::host {

/// True when stderr is the journal stream systemd connected to a service (JOURNAL_STREAM
/// names its device and inode, and they are stderr's): not when a child of the service
/// has its stderr redirected elsewhere, nor in a terminal.
bool stderr_is_journal();

/// The log line format for stderr: with a timestamp in a terminal or a file; under the
/// journal, which stamps every entry itself, the line starts instead with its syslog
/// priority ("<4>" for a warning), which journald takes as the entry's priority
/// (SyslogLevelPrefix=, on by default) and strips, so `journalctl -p warning` works.
std::unique_ptr<spdlog::formatter> stderr_log_format(bool journal);

}  // namespace relay::host
