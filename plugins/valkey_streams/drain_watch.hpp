#pragma once
/// stop()'s wait: until this node's accepted messages were broadcast here and the
/// store group delivered and acknowledged them, or the node's drain timeout.
#include "broadcast_reader.hpp"
#include "store_group.hpp"
#include "stream_publisher.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace relay::plugins::valkey_streams {

/// Looks again whenever an XADD is answered or a broadcast batch is read (check()),
/// and polls the server (XINFO GROUPS, XPENDING on the command connection) while the
/// store group is behind. `done` runs once: with no error when drained, timed_out after
/// `timeout` (node.drain_timeout).
/// Thread safety: none; runs on the queue's executor. Lifetime: shared; timers and
/// answers after close() or destruction do nothing.
class DrainWatch : public std::enable_shared_from_this<DrainWatch> {
public:
    /// What is drained: the publisher's messages, through the broadcast reader (when
    /// this node subscribed broadcasts: may be null) and the store group (when this
    /// node runs a store subscription).
    struct Parts {
        std::shared_ptr<const StreamPublisher> publisher;
        std::shared_ptr<const BroadcastReader> broadcast;
        bool store_subscribed;
    };

    DrainWatch(const sdk::Executor& executor, StoreGroup group, std::chrono::milliseconds timeout,
               sdk::Logger& log);

    void begin(Parts parts, std::function<void(std::error_code)> done);
    /// Something was answered or read: drained now?
    void check();
    void close();

private:
    void poll_later();
    void finish(std::error_code result);

    StoreGroup group_;
    std::chrono::milliseconds timeout_;
    sdk::Logger& log_;
    boost::asio::steady_timer deadline_;
    boost::asio::steady_timer poll_timer_;
    Parts parts_{};
    std::function<void(std::error_code)> done_;
    bool watching_ = false;
    bool polling_ = false;  // a server check is under way
};

}  // namespace relay::plugins::valkey_streams
