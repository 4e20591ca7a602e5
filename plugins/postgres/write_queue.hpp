#pragma once
/// The appends waiting for the writer, and the batches it cuts from them.
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/store.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace relay::plugins::postgres {

using Clock = std::chrono::steady_clock;

/// One append: its messages may go out in several batches; it is answered once all
/// of them committed, or at the first failure.
struct Job {
    std::vector<sdk::Message> messages;
    std::size_t taken = 0;       // messages handed to batches
    std::size_t unresolved = 0;  // messages not yet committed
    sdk::Done done;
    Clock::time_point arrived;
    bool completed = false;
};

/// Messages [begin, end) of one job.
struct Piece {
    std::shared_ptr<Job> job;
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// What one write transaction holds.
struct Batch {
    std::uint64_t seq = 0;
    std::vector<Piece> pieces;
    std::size_t messages = 0;
};

/// Removes the pieces of jobs answered already (failed, or timed out) and recounts.
void drop_completed(Batch& batch);

/// FIFO of jobs not yet wholly taken into batches. Keeps the gauge
/// postgres_store_queued_messages current. On the store's executor only.
class WriteQueue {
public:
    explicit WriteQueue(sdk::Gauge& queued_gauge) : gauge_(queued_gauge) {}

    void push(std::shared_ptr<Job> job);
    /// Messages not yet taken into a batch.
    std::size_t queued_messages() const noexcept { return queued_messages_; }
    /// When the oldest waiting job arrived (queued_messages() > 0).
    Clock::time_point oldest_arrival() const { return jobs_.front()->arrived; }

    /// The next batch: whole messages in order, at most `max_messages`, and at most
    /// `max_bytes` unless a single message is larger (it goes alone).
    Batch take(std::uint64_t seq, std::size_t max_messages, std::size_t max_bytes);
    /// Forgets the answered jobs at the front.
    void drop_completed_front();

    std::deque<std::shared_ptr<Job>>& jobs() noexcept { return jobs_; }
    void clear();

private:
    sdk::Gauge& gauge_;
    std::deque<std::shared_ptr<Job>> jobs_;
    std::size_t queued_messages_ = 0;  // not yet taken into a batch
};

}  // namespace relay::plugins::postgres
