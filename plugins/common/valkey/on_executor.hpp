#pragma once
/// The public object of a plugin whose state (its Core) is touched only on one
/// executor: every call is posted there, with a share of the Core that keeps it alive
/// until the call ran. Header-only.
#include <relay/sdk/asio.hpp>

#include <memory>
#include <utility>

namespace relay::plugins::valkey {

/// Core must have close(): dropping the plugin object posts it, so that the answers
/// and timers that come later find the Core closed (they hold weak_ptrs to it).
/// Thread safety: post() from any thread.
template <class Core>
class OnExecutor {
public:
    OnExecutor(sdk::Executor executor, std::shared_ptr<Core> core)
        : executor_(std::move(executor)), core_(std::move(core)) {}
    ~OnExecutor() {
        boost::asio::post(executor_, [core = std::move(core_)] { core->close(); });
    }
    OnExecutor(const OnExecutor&) = delete;
    OnExecutor& operator=(const OnExecutor&) = delete;
    OnExecutor(OnExecutor&&) = delete;
    OnExecutor& operator=(OnExecutor&&) = delete;

    /// Runs `call(core)` on the executor.
    template <class Call>
    void post(Call&& call) const {
        boost::asio::post(
            executor_, [core = core_, call = std::forward<Call>(call)]() mutable { call(*core); });
    }

private:
    sdk::Executor executor_;
    std::shared_ptr<Core> core_;
};

}  // namespace relay::plugins::valkey
