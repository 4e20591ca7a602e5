#include "runtime/watchdog.hpp"

namespace relay::host {

Watchdog::Watchdog(const boost::asio::any_io_executor& timer_executor,
                   std::vector<sdk::Executor> probed, std::chrono::microseconds interval,
                   std::function<void()> ping)
    : timer_(timer_executor),
      probed_(std::move(probed)),
      interval_(interval),
      ping_(std::make_shared<const std::function<void()>>(std::move(ping))) {}

Watchdog::~Watchdog() {
    // The timer's destructor cancels the wait (and, unlike cancel(), never throws).
    *running_ = false;
}

void Watchdog::start() {
    *running_ = true;
    start_round();
    arm();
}

void Watchdog::stop() {
    *running_ = false;
    timer_.cancel();
}

void Watchdog::start_round() {
    if (probed_.empty() || pending_->load() != 0) return;  // the last round still waits
    pending_->store(probed_.size());
    for (const auto& executor : probed_) {
        boost::asio::post(executor, [pending = pending_, ping = ping_] {
            if (pending->fetch_sub(1) == 1) (*ping)();
        });
    }
}

void Watchdog::arm() {
    timer_.expires_after(interval_);
    timer_.async_wait([this, running = running_](const boost::system::error_code& ec) {
        if (ec || !*running) return;  // stopped: `this` may be gone
        start_round();
        arm();
    });
}

}  // namespace relay::host
