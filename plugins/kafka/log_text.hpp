#pragma once
/// Log text of the kafka queue that tests pin word for word.
#include <chrono>
#include <cstddef>
#include <string>

namespace relay::plugins::kafka {

/// "250ms", "10s": how a duration is written in the pipeline file.
inline std::string describe(std::chrono::milliseconds value) {
    if (value.count() % 1000 == 0 && value.count() > 0) {
        return std::to_string(value.count() / 1000) + "s";
    }
    return std::to_string(value.count()) + "ms";
}

/// What stop says when the subscriptions did not catch up with what this node acked
/// within node.drain_timeout: how many partitions each left behind.
inline std::string drain_timeout_warning(std::chrono::milliseconds drain_timeout,
                                         std::size_t store_behind, std::size_t broadcast_behind) {
    std::string behind;
    if (store_behind > 0) {
        behind = std::to_string(store_behind) +
                 " partition(s) not yet committed by the store (the store group reads them "
                 "again later)";
    }
    if (broadcast_behind > 0) {
        behind += (behind.empty() ? "" : " and ") + std::to_string(broadcast_behind) +
                  " partition(s) not yet broadcast to this node's clients";
    }
    return "stopped when node.drain_timeout (" + describe(drain_timeout) + ") ran out, with " +
           behind + ". Increase node.drain_timeout";
}

}  // namespace relay::plugins::kafka
