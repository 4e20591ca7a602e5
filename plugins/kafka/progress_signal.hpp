#pragma once
/// How stop learns that the queue's parts moved on.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace relay::plugins::kafka {

/// Wakes stop's waits when a part's progress moved (an ack, a broadcast, a commit).
/// Parts change their own state under their own lock, release it, then notify(); the
/// waiter reads their state (taking their locks) under this signal's lock, so no
/// change is missed. Thread safety: any thread.
class ProgressSignal {
public:
    using Clock = std::chrono::steady_clock;

    void notify() {
        { std::lock_guard lock(mutex_); }
        cv_.notify_all();
    }

    /// Waits until `done()` holds (true) or `deadline` passed (false).
    template <class Pred>
    bool wait_until(Clock::time_point deadline, Pred done) {
        std::unique_lock lock(mutex_);
        return cv_.wait_until(lock, deadline, done);
    }

    /// Waits for a notify(), at most `timeout`.
    void wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout);
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
};

}  // namespace relay::plugins::kafka
