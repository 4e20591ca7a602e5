#pragma once
#include <relay/sdk/asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

namespace relay::host {

/// Pings a watchdog only while every I/O thread runs. Every `interval` it posts a probe
/// to each I/O executor, and the last probe of the round to run sends the ping: a
/// thread stuck in a handler (a deadlock, a blocking call) never runs its probe, so
/// the pings stop and systemd restarts the process after WatchdogSec. While a round
/// waits, no new one starts, so a stuck thread is never pinged over.
/// Lifecycle: start() sends the first round at once and arms the timer; stop() or
/// destruction cancels it. Probes still queued on I/O threads own what they use.
/// Thread safety: the timer runs on `timer_executor` (the control thread's, so that a
/// stuck I/O thread cannot hold up the timer either); call start() and stop() and
/// destroy it there, or before that executor runs. `ping` runs on an I/O thread.
class Watchdog {
public:
    Watchdog(const boost::asio::any_io_executor& timer_executor, std::vector<sdk::Executor> probed,
             std::chrono::microseconds interval, std::function<void()> ping);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    Watchdog(Watchdog&&) = delete;
    Watchdog& operator=(Watchdog&&) = delete;

    void start();
    void stop();

private:
    void start_round();
    void arm();

    boost::asio::steady_timer timer_;
    std::vector<sdk::Executor> probed_;
    std::chrono::microseconds interval_;
    std::shared_ptr<const std::function<void()>> ping_;
    // Probes of the current round that have not run yet; 0 between rounds.
    std::shared_ptr<std::atomic<std::size_t>> pending_ =
        std::make_shared<std::atomic<std::size_t>>(0);
    // False once stopped: a wait that completed just before stop() still runs its
    // handler with success, which must then neither use `this` nor re-arm.
    std::shared_ptr<bool> running_ = std::make_shared<bool>(false);
};

}  // namespace relay::host
