#pragma once
/// Whether the queue can ack publishes, as /readyz shows it: unavailable from the loss
/// of the connection XADDs go through, or from a refused XADD, until it works again.
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>

#include <string>

namespace relay::plugins::valkey_streams {

/// Reports to sdk::Health only while the queue runs (start-up failures are start()'s
/// error, stopping is not a loss). Thread safety: none; used on the queue's executor.
class PublishHealth {
public:
    /// Why publishes cannot be acked: the connection is gone, or the server refuses.
    enum class Cause { none, connection, writes };

    PublishHealth(sdk::Health& health, sdk::Logger& log) : health_(health), log_(log) {}

    /// Losses are reported between running(true) and running(false).
    void running(bool on) { running_ = on; }
    /// The first cause wins; the queue is reported unavailable with `reason`.
    void cannot_publish(Cause cause, const std::string& reason);
    /// The command connection is up again: over, if it was the lost connection.
    void connection_back();
    /// An XADD was acked: over, whatever the cause.
    void xadd_acked();

private:
    void can_publish();

    sdk::Health& health_;
    sdk::Logger& log_;
    bool running_ = false;
    Cause cause_ = Cause::none;
};

}  // namespace relay::plugins::valkey_streams
