#pragma once
#include "config/pipeline.hpp"

#include <string>
#include <vector>

namespace relay::host {

/// What reloading a pipeline file would change, sorted by what a running host can do
/// with it (SIGHUP, Host::reload):
/// - live: the processors (list, order, settings), the auth section (added, removed,
///   another plugin, other settings) and the transport's keys its schema marks
///   reloadable() (Transport::reconfigure) apply to new messages and handshakes;
/// - restart: everything else (another transport, queue, presence or store, any of
///   their other settings, node, log, admin) is kept as it runs, and named.
/// `plugins.path` is not compared: it only says where the reload finds the plugins it
/// loads (processors, auth).
struct PipelineChanges {
    bool processors = false;  ///< the processor list or a processor's settings differ
    bool auth = false;        ///< the auth section differs
    bool transport = false;   ///< a reloadable() key of the transport differs
    /// Another key of the transport differs too: the running section stays the one the
    /// transport started with (so later reloads still name that key).
    bool transport_fixed = false;
    /// What applies live, one phrase each: "processors [rate_limit] → [rate_limit, mangle]",
    /// "auth 'jwt' settings changed".
    std::vector<std::string> live;
    /// What needs a restart, one phrase each, in pipeline order:
    /// "transport.listen changed (127.0.0.1:3000 → 127.0.0.1:3001)".
    std::vector<std::string> needs_restart;

    bool none() const { return live.empty() && needs_restart.empty(); }
};

/// Compares the pipeline a host runs with the one a reload read. Both are validated.
PipelineChanges compare_pipelines(const Pipeline& running, const Pipeline& next);

/// The same plugin with the same value for every key (defaults included): a running
/// instance made from `a` may serve for `b`.
bool same_section(const PluginSection& a, const PluginSection& b);

/// A config value as messages show it: strings as they are, durations in ms, lists
/// in brackets.
std::string value_text(const std::optional<Value>& value);

}  // namespace relay::host
