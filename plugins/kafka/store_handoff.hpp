#pragma once
/// How the store consumer's thread hands a batch to the store handler.
#include "host_post.hpp"

#include "store_feed/store_feed.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
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

/// The store thread's side of the StoreFeed, which keeps the hand-off's rules on the
/// executor (one batch in flight, only a batch's first commit counts, a retry after
/// `store_retry_delay`). The thread posts each batch there and waits for its outcome: a
/// batch that comes back during the retry delay (the thread seeks back and reads it
/// again at once) waits there until the delay ran out. stop() abandons the wait when it
/// gives up (node.drain_timeout) or the queue is destroyed.
///
/// Thread safety: set_handler() and has_handler() from any thread; open() once before
/// the store thread starts; hand_over() on the store thread; abandon() from any thread.
class StoreHandoff {
public:
    StoreHandoff(sdk::Executor executor, HostPost post, std::chrono::milliseconds retry_delay,
                 store_feed::StoreFeed::Reporting reporting);

    void set_handler(sdk::StoreHandler handler);
    bool has_handler();
    /// Makes the feed with the handler set by now.
    void open();

    /// The handler's commit result for `batch`; nullopt when abandoned first.
    std::optional<std::error_code> hand_over(std::vector<sdk::Message> batch);
    /// Ends every wait, now and later; nothing more reaches the handler.
    void abandon();

private:
    /// One batch waiting for its outcome.
    struct CommitSlot {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<std::error_code> result;
    };
    /// The executor's side, shared with the work posted there.
    struct OnExecutor {
        std::shared_ptr<store_feed::StoreFeed> feed;
        std::vector<sdk::Message> parked;  // came back during the retry delay
        std::shared_ptr<CommitSlot> parked_slot;
        std::atomic<bool> abandoned{false};

        void offer(std::vector<sdk::Message> batch, std::shared_ptr<CommitSlot> slot);
    };

    const sdk::Executor executor_;
    const HostPost post_;
    const std::chrono::milliseconds retry_delay_;
    const store_feed::StoreFeed::Reporting reporting_;
    std::mutex handler_mutex_;  // handler_ is set before start, read-only after
    sdk::StoreHandler handler_;
    std::shared_ptr<OnExecutor> on_executor_ = std::make_shared<OnExecutor>();

    std::mutex slot_mutex_;
    std::shared_ptr<CommitSlot> slot_;  // the batch being stored
};

}  // namespace relay::plugins::kafka
