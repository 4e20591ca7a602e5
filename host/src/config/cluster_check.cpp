#include "config/cluster_check.hpp"

namespace relay::host {
namespace {

bool has_scope(const PluginSection& section, sdk::Scope scope) {
    return section.manifest != nullptr && section.manifest->scope == scope;
}

}  // namespace

std::vector<std::string> cluster_warnings(const Pipeline& pipeline) {
    std::vector<std::string> warnings;
    if (!has_scope(pipeline.queue, sdk::Scope::shared)) return warnings;
    const std::string queue = "queue '" + pipeline.queue.use + "' is shared by every node";
    if (pipeline.store && has_scope(*pipeline.store, sdk::Scope::node_local)) {
        warnings.push_back(pipeline.store->where.format() + ": warning: store '" +
                           pipeline.store->use + "' keeps history on this node only, but " + queue +
                           ": with two nodes or more each stores only the messages its share "
                           "of the store group reads, so history and recovery miss the rest. "
                           "Use a shared store (postgres), or run one node");
    }
    if (has_scope(pipeline.presence, sdk::Scope::node_local)) {
        warnings.push_back(pipeline.presence.where.format() + ": warning: presence '" +
                           pipeline.presence.use + "' knows this node's members only, but " +
                           queue +
                           ": with two nodes or more presence answers and join/leave events "
                           "miss the members of the other nodes. Use a shared presence "
                           "(valkey), or run one node");
    }
    return warnings;
}

}  // namespace relay::host
