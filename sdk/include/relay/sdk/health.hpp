#pragma once
#include <string_view>

namespace relay::sdk {

/// A plugin's word on how well it works, for the operator: `/readyz` lists every
/// degraded plugin with its reason. Degraded means "still serving, with less": the
/// valkey presence that lost its server keeps chat running without cross-node
/// presence. The node stays ready (HTTP 200) while degraded, because taking every
/// node out of a load balancer when a shared backend blinks would stop chat
/// altogether; monitoring reads the reason from the body or from the
/// `relay_plugins_degraded` gauge.
/// Thread safety: any thread. Repeating a call with the same state is cheap.
class Health {
public:
    virtual ~Health() = default;
    /// The plugin works only in part, because of `reason` (one line, for humans).
    virtual void degraded(std::string_view reason) = 0;
    /// The plugin works fully again.
    virtual void recovered() = 0;
};

}  // namespace relay::sdk
