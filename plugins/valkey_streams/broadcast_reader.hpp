#pragma once
/// The broadcast subscription: every node reads every partition (XREAD BLOCK, on its
/// own connection) and hands each message to every broadcast handler.
#include "blocking_reads.hpp"
#include "partition_streams.hpp"
#include "stream_entry.hpp"
#include "valkey/connection.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/queue.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::valkey_streams {

/// Reads from the streams' ends as they were at start (find_stream_ends), and after a
/// reconnection from where it stopped: every message, once, in stream order.
/// Thread safety: none; everything runs on the queue's executor, handlers too.
/// Lifetime: shared; answers after close() or destruction do nothing.
class BroadcastReader : public std::enable_shared_from_this<BroadcastReader> {
public:
    struct Reading {
        std::size_t read_count;                 ///< entries per stream and read, at most
        std::chrono::milliseconds block;        ///< how long one read waits
        std::chrono::milliseconds retry_delay;  ///< after a refused read
    };

    BroadcastReader(const sdk::Executor& executor, std::shared_ptr<const PartitionStreams> streams,
                    std::vector<sdk::BroadcastHandler> handlers, Reading reading, sdk::Logger& log);

    /// Connects; `ready` runs at every connection made before run().
    void start(const valkey::ConnectionOptions& options, std::function<void()> ready);
    /// Reads where each stream ends now (XREVRANGE on `commands`, the connection that is
    /// up first), so that broadcasts begin with what is published from now on. `done`
    /// runs once all are known; an error leaves it to the caller's next attempt.
    void find_stream_ends(valkey::Connection& commands, const std::function<void()>& done);
    /// Reads from now on, and after every reconnection, until close().
    void run();
    void close();

    bool up() const noexcept { return reads_.up(); }
    std::string last_error() const { return reads_.last_error(); }
    /// Whether this node has read every stream up to the given entries.
    bool has_read(const std::vector<std::optional<EntryId>>& entries) const;
    /// Runs after every batch handed to the handlers (the drain watch looks again).
    void on_progress(std::function<void()> handler) { on_progress_ = std::move(handler); }

private:
    void read();
    void on_read(const valkey::Reply& reply);

    std::shared_ptr<const PartitionStreams> streams_;
    std::vector<sdk::BroadcastHandler> handlers_;
    Reading reading_;
    sdk::Logger& log_;
    BlockingReads reads_;  // XREAD BLOCK
    std::function<void()> on_progress_;
    std::vector<std::string> last_read_;  // per partition: the last entry id read
};

}  // namespace relay::plugins::valkey_streams
