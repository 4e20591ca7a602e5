#pragma once
/// The store subscription: this node's consumer in the group shared by all nodes
/// (XREADGROUP on its own connection), handing batches to the store and XACKing them
/// only once the store committed them.
#include "blocking_reads.hpp"
#include "partition_streams.hpp"
#include "store_feed/store_feed.hpp"
#include "valkey/connection.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/message.hpp>
#include <relay/sdk/metrics.hpp>
#include <relay/sdk/queue.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::valkey_streams {

/// One batch in the store at a time (StoreFeed: commits back on the executor, stale ones
/// ignored, a retry after `retry_delay`). A failed commit, a failed XACK, a reconnection or
/// entries claimed from another consumer switch to re-reading this consumer's pending
/// entries (id 0) before new ones (`>`): at-least-once, the store is idempotent by id.
/// A lost group (server restarted without persistence) is created again.
/// Thread safety: none; everything runs on the queue's executor (commits may come
/// from any thread: they are posted there). Lifetime: shared; answers and commits
/// after close() or destruction do nothing.
class StoreConsumer : public std::enable_shared_from_this<StoreConsumer> {
public:
    struct Group {
        std::string name;      ///< the consumer group, shared by every node
        std::string consumer;  ///< this node's consumer name in it
        std::size_t batch_max;
        std::chrono::milliseconds block;        ///< how long one read waits
        std::chrono::milliseconds retry_delay;  ///< before re-reading after a failure
    };
    struct Metrics {
        sdk::Counter& retries;  ///< batches redelivered after a failed commit
        sdk::Counter& lost;     ///< pending entries found trimmed away
    };

    StoreConsumer(sdk::Executor executor, std::shared_ptr<const PartitionStreams> streams,
                  Group group, sdk::StoreHandler handler, sdk::Logger& log, Metrics metrics);

    /// Connects and creates the group on every connection; `ready` runs each time the
    /// group is known to exist before run().
    void start(const valkey::ConnectionOptions& options, std::function<void()> ready);
    /// Reads and hands to the store from now on, until close().
    void run();
    void close();

    bool group_ready() const noexcept { return group_ready_; }
    std::string last_error() const { return reads_.last_error(); }
    /// Entries were claimed for this consumer: the next read takes the pending ones.
    void recover_pending() { recover_ = true; }

private:
    using EntryRef = std::pair<std::size_t, std::string>;  // partition, entry id
    struct Entry {
        EntryRef ref;
        sdk::Message msg;
    };

    void create_group();
    void read();
    void on_read(const valkey::Reply& reply, bool recover);
    void hand_to_store();
    void on_commit(const std::vector<EntryRef>& entries, std::error_code ec);
    void acknowledge(const std::vector<EntryRef>& entries);
    void read_later();

    std::shared_ptr<const PartitionStreams> streams_;
    Group group_;
    sdk::Logger& log_;
    Metrics metrics_;
    BlockingReads reads_;  // XGROUP CREATE, XREADGROUP, XACK
    std::function<void()> ready_;
    std::shared_ptr<store_feed::StoreFeed> feed_;
    bool group_ready_ = false;
    bool recover_ = true;         // read this consumer's pending entries (id 0)
    bool retry_pending_ = false;  // a failed read waits out retry_delay
    std::deque<Entry> read_;      // read, not yet handed to the store
};

}  // namespace relay::plugins::valkey_streams
