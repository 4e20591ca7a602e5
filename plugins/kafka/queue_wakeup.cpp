#include "queue_wakeup.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <utility>

namespace relay::plugins::kafka {

/// What the waits on the executor share with the owner: the eventfd, and `serve` until
/// detach().
struct QueueWakeup::State {
    State(const sdk::Executor& executor, int fd, Serve serve)
        : descriptor(executor, fd), serve(std::move(serve)) {}

    boost::asio::posix::stream_descriptor descriptor;
    std::mutex mutex;  // held while `serve` runs
    Serve serve;       // empty once detached
};

bool QueueWakeup::attach(rd_kafka_queue_t* queue, Serve serve) {
    const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return false;
    queue_ = queue;
    state_ = std::make_shared<State>(executor_, fd, std::move(serve));
    // An eventfd takes 8-byte counter increments.
    static constexpr std::uint64_t kIncrement = 1;
    rd_kafka_queue_io_event_enable(queue_, fd, &kIncrement, sizeof kIncrement);
    // What was queued before the signal was enabled is served first.
    boost::asio::post(executor_, [state = state_] { run(state); });
    return true;
}

void QueueWakeup::detach() {
    if (!state_) return;
    rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    {
        std::lock_guard lock(state_->mutex);
        state_->serve = nullptr;
    }
    // The wait is cancelled on the executor, which owns the descriptor; if the executor
    // runs no more, the wait and the eventfd go with it.
    boost::asio::post(executor_, [state = state_] {
        boost::system::error_code ignored;
        state->descriptor.cancel(ignored);
    });
    state_.reset();
    queue_ = nullptr;
}

void QueueWakeup::wait(const std::shared_ptr<State>& state) {
    state->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read,
                                 [state](const boost::system::error_code& ec) {
                                     if (!ec) run(state);
                                 });
}

void QueueWakeup::run(const std::shared_ptr<State>& state) {
    // Reset the counter before serving: a signal that comes while `serve` drains
    // wakes the next wait, so none is lost.
    std::uint64_t count = 0;
    (void)::read(state->descriptor.native_handle(), &count, sizeof count);
    bool again = false;
    {
        std::lock_guard lock(state->mutex);
        if (!state->serve) return;
        again = state->serve();
    }
    if (again) {
        boost::asio::post(state->descriptor.get_executor(), [state] { run(state); });
    } else {
        wait(state);
    }
}

}  // namespace relay::plugins::kafka
