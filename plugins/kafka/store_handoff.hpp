#pragma once
/// How the store consumer's thread hands a batch to the store handler.
#include "host_post.hpp"

#include <relay/sdk/message.hpp>
#include <relay/sdk/queue.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

namespace relay::plugins::kafka {

/// Runs the store handler on the executor and waits for its commit, which may come
/// from any thread; only the first commit of a batch counts. stop() abandons the wait
/// when it gives up (drain_timeout) or the queue is destroyed.
///
/// Thread safety: set_handler() before the store starts; hand_over() and wait_retry()
/// on the store thread; abandon() from any thread.
class StoreHandoff {
public:
    explicit StoreHandoff(HostPost post) : post_(std::move(post)) {}

    void set_handler(sdk::StoreHandler handler);
    bool has_handler();

    /// The handler's commit result for `batch`; nullopt when abandoned first.
    std::optional<std::error_code> hand_over(std::vector<sdk::Message> batch);
    /// Waits `delay` before a batch is redelivered, or until abandoned.
    void wait_retry(std::chrono::milliseconds delay);
    /// Ends every wait, now and later.
    void abandon();

private:
    /// One batch waiting for the handler's commit.
    struct CommitSlot {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<std::error_code> result;
    };

    const HostPost post_;
    std::mutex handler_mutex_;  // handler_ is set before start, read-only after
    sdk::StoreHandler handler_;
    std::atomic<bool> abandoned_{false};

    std::mutex slot_mutex_;
    std::shared_ptr<CommitSlot> slot_;  // the batch being stored
    std::mutex retry_mutex_;
    std::condition_variable retry_cv_;
};

}  // namespace relay::plugins::kafka
