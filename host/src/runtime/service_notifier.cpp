#include "runtime/service_notifier.hpp"

#include <string>

#include <systemd/sd-daemon.h>

namespace relay::host {
namespace {

// unset_environment 0: NOTIFY_SOCKET stays, as the watchdog pings need it after READY.
void notify(const std::string& state) {
    // A failure to notify is not the pipeline's: systemd's own timeouts report it.
    (void)sd_notify(0, state.c_str());
}

}  // namespace

void notify_ready(std::string_view status) {
    notify("READY=1\nSTATUS=" + std::string(status));
}

void notify_stopping() {
    notify("STOPPING=1\nSTATUS=stopping: draining the queue into the store");
}

void notify_watchdog() {
    notify("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec / 2);
}

}  // namespace relay::host
