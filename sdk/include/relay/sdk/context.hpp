#pragma once
#include <relay/sdk/asio.hpp>
#include <relay/sdk/config.hpp>
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <chrono>
#include <span>
#include <string_view>

namespace relay::sdk {

/// What the host hands a plugin's factory. Owned by the host; valid until the
/// plugin's object is destroyed. Thread safety: const, safe from any thread.
class PluginContext {
public:
    virtual ~PluginContext() = default;

    /// The plugin's validated configuration.
    virtual const ConfigView& config() const = 0;
    /// The plugin's home executor. Every callback the plugin makes into the host, and
    /// every callback the host makes into the plugin, runs on a host executor; a
    /// plugin with a backend thread of its own posts its results here.
    virtual Executor executor() const = 0;
    /// One executor per I/O thread, each run by exactly one thread. Transports spread
    /// connections over them; other plugins rarely need them.
    virtual std::span<const Executor> io_executors() const = 0;
    virtual Logger& log() const = 0;
    virtual Metrics& metrics() const = 0;
    /// Where the plugin reports that it is degraded (see Health).
    virtual Health& health() const = 0;
    /// This node's id (pipeline `node.id`, default the host name).
    virtual std::string_view node_id() const = 0;
    /// How long a stop may wait for what is still under way (pipeline
    /// `node.drain_timeout`): a plugin whose stop drains (a queue into the store) gives
    /// up after it, so that its stop completes within the host's bound on it.
    virtual std::chrono::milliseconds drain_timeout() const = 0;
};

}  // namespace relay::sdk
