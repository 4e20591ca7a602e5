#pragma once
#include "config/pipeline.hpp"

#include <string>
#include <vector>

namespace relay::host {

/// Warnings about a pipeline that cannot work as a cluster, from the plugins' manifest
/// scopes (sdk::Scope): a queue every node shares (kafka, valkey_streams) with a
/// node-local store (each node would keep only the messages its share of the store
/// group reads) or a node-local presence (each node would see only its own members).
/// One line each, "file:line:col: warning: ...", for `relay check` and the start-up
/// log. A single node runs such a pipeline fine, so these are warnings, not errors.
std::vector<std::string> cluster_warnings(const Pipeline& pipeline);

}  // namespace relay::host
