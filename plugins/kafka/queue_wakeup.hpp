#pragma once
/// A librdkafka queue served on the plugin's executor, without a thread in between.
#include <relay/sdk/asio.hpp>

#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>

namespace relay::plugins::kafka {

/// Makes librdkafka signal a queue's readiness on an eventfd
/// (rd_kafka_queue_io_event_enable) that the executor waits on, and runs `serve` there
/// whenever the queue went from empty to non-empty. That saves the hand-off through a
/// poll thread of our own: one thread wakeup fewer per delivery report or fetch, and
/// one hop less for the message.
///
/// `serve` must drain the queue (rd_kafka_poll(rk, 0) until it returns 0: librdkafka
/// signals only an empty queue's first element) or return true to be run again behind
/// what else waits on the executor (a batch cap reached).
///
/// detach() ends it: after it returns no `serve` runs or will run, so its owner may go
/// away and poll the queue on a thread of its own (stop, whether the executor still
/// runs or not). The eventfd lives until the last wait on it ended.
///
/// Thread safety: attach() once, then detach(), from any thread but never from within
/// `serve` (detach waits for a `serve` in progress).
class QueueWakeup {
public:
    using Serve = std::function<bool()>;

    explicit QueueWakeup(sdk::Executor executor) : executor_(std::move(executor)) {}
    ~QueueWakeup() { detach(); }
    QueueWakeup(const QueueWakeup&) = delete;
    QueueWakeup& operator=(const QueueWakeup&) = delete;
    QueueWakeup(QueueWakeup&&) = delete;
    QueueWakeup& operator=(QueueWakeup&&) = delete;

    /// Starts serving `queue` (not taken: it must outlive detach()) with `serve`. False
    /// when no eventfd could be made (then the owner polls it itself).
    bool attach(rd_kafka_queue_t* queue, Serve serve);
    /// Stops: librdkafka no longer signals, and `serve` is done for good.
    void detach();
    bool attached() const noexcept { return state_ != nullptr; }

private:
    struct State;
    static void wait(const std::shared_ptr<State>& state);
    static void run(const std::shared_ptr<State>& state);

    const sdk::Executor executor_;
    rd_kafka_queue_t* queue_ = nullptr;
    std::shared_ptr<State> state_;
};

}  // namespace relay::plugins::kafka
