#pragma once
#include <string_view>

namespace relay::sdk {

/// A plugin's word on how well it works, for the operator and the load balancer.
/// Three states, each reported again whenever it changes:
///
/// - working (the start, and after recovered()): nothing to say.
/// - degraded(reason): still serving, with less. The valkey presence that lost its
///   server keeps chat running without cross-node presence. The node stays ready
///   (`/readyz` 200, the reason listed under "degraded"), because taking every node
///   out of a load balancer when a shared backend blinks would stop chat altogether.
/// - unavailable(reason): the node cannot do its job through this plugin: a queue
///   that cannot get acks (every publish would fail or wait), a store that cannot
///   write. `/readyz` answers 503 with the reason, so a load balancer sends clients
///   to a node that can serve them. Report it as soon as the failure is known (within
///   a second or two), and recovered() only once the work demonstrably flows again
///   (an ack, a committed write), not merely when a connection reopened.
///
/// The host exports `relay_plugin_up{plugin="slot/name"}` (0 while unavailable),
/// `relay_plugins_degraded`, `relay_plugins_unavailable` and
/// `relay_plugin_unavailable_total{plugin=...}` (times it became unavailable).
/// Thread safety: any thread. Repeating a call with the same state is cheap; the last
/// call wins, so report from one place, in order (e.g. posted to the executor).
class Health {
public:
    virtual ~Health() = default;
    /// The plugin works only in part, because of `reason` (one line, for humans).
    virtual void degraded(std::string_view reason) = 0;
    /// The plugin works fully again.
    virtual void recovered() = 0;
    /// The plugin cannot work at all, because of `reason` (one line, for humans,
    /// naming the backend and what the operator can check).
    virtual void unavailable(std::string_view reason) = 0;
};

}  // namespace relay::sdk
