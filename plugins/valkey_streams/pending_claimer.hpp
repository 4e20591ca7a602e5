#pragma once
/// Takes over store entries another consumer left pending for `claim_idle` (a node that
/// died mid-batch), so that they reach the store through this node.
#include "partition_streams.hpp"
#include "valkey/connection.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace relay::plugins::valkey_streams {

/// Every `claim_idle / 2` (at least 100ms), XAUTOCLAIM (JUSTID) on the queue's command
/// connection for this node's consumer; claimed entries then come through the store
/// consumer's re-read of its pending entries (`on_claimed`). Entries found trimmed away
/// are counted as lost and logged.
/// Thread safety: none; everything runs on the queue's executor. Lifetime: shared;
/// timers and answers after close() or destruction do nothing.
class PendingClaimer : public std::enable_shared_from_this<PendingClaimer> {
public:
    struct Claim {
        std::string group;
        std::string consumer;  ///< this node's consumer, which takes the entries
        std::chrono::milliseconds idle;
        std::size_t count;  ///< entries per stream and call, at most
    };

    PendingClaimer(sdk::Executor executor, std::shared_ptr<valkey::Connection> commands,
                   std::shared_ptr<const PartitionStreams> streams, Claim claim, sdk::Logger& log,
                   sdk::Counter& lost);

    /// Claims periodically until close(); `on_claimed` runs when entries were claimed.
    void run(std::function<void()> on_claimed);
    void close();

private:
    void schedule();
    void claim();

    std::shared_ptr<valkey::Connection> commands_;
    std::shared_ptr<const PartitionStreams> streams_;
    Claim claim_;
    sdk::Logger& log_;
    sdk::Counter& lost_;
    boost::asio::steady_timer timer_;
    std::function<void()> on_claimed_;
    std::vector<std::string> cursors_;  // per partition: where XAUTOCLAIM goes on
    bool running_ = false;
};

}  // namespace relay::plugins::valkey_streams
