#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace relay::host {

// What relay tells the service manager that started it: systemd, for a unit with
// Type=notify (deploy/systemd/relay.service), through the datagram socket named by
// NOTIFY_SOCKET (sd_notify(3), from libsystemd). Without NOTIFY_SOCKET in the
// environment each call does nothing, so `relay run` in a terminal is unchanged.
// Thread safety: any thread. None of them throws.

/// The pipeline serves: every plugin started (the backends answered) and the transport
/// listens. `status` is what `systemctl status` shows.
void notify_ready(std::string_view status);
/// The graceful stop began (SIGINT/SIGTERM); the drain follows.
void notify_stopping();
/// One watchdog ping (see Watchdog for when it is sent).
void notify_watchdog();
/// How often to ping the watchdog: half of WATCHDOG_USEC when the service manager asked
/// this process for pings (WATCHDOG_USEC set, WATCHDOG_PID unset or ours), else nullopt.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace relay::host
