#include "catch_up.hpp"

#include "log_text.hpp"

#include <relay/sdk/error.hpp>

#include <set>
#include <vector>

namespace relay::plugins::kafka {

namespace {

constexpr std::chrono::milliseconds kGroupQueryInterval{200};
/// Progress is signalled; this only bounds a wait that missed none.
constexpr std::chrono::milliseconds kRecheckInterval{20};

}  // namespace

std::error_code wait_until_caught_up(const std::map<std::int32_t, std::int64_t>& targets,
                                     BroadcastReader* broadcast, StoreConsumer* store,
                                     ProgressSignal& progress, Clock::time_point deadline,
                                     std::chrono::milliseconds drain_timeout, sdk::Logger& log) {
    std::set<std::int32_t> committed_by_group;  // committed by another node's consumer
    auto next_query = Clock::now() + kGroupQueryInterval;
    for (;;) {
        std::size_t broadcast_behind = 0;
        std::vector<std::int32_t> store_behind;
        for (const auto& [p, target] : targets) {
            if (broadcast && broadcast->read_end(p) < target) ++broadcast_behind;
            if (store && store->committed_end(p) < target && !committed_by_group.contains(p)) {
                store_behind.push_back(p);
            }
        }
        if (broadcast_behind == 0 && store_behind.empty()) return {};
        if (Clock::now() >= deadline) {
            log.warn(drain_timeout_warning(drain_timeout, store_behind.size(), broadcast_behind));
            return sdk::make_error_code(sdk::Errc::timed_out);
        }
        if (store && !store_behind.empty() && Clock::now() >= next_query) {
            // A partition assigned to another node is committed by that node.
            store->find_committed_by_group(store_behind, targets, committed_by_group, deadline);
            next_query = Clock::now() + kGroupQueryInterval;
        }
        progress.wait_for(kRecheckInterval);
    }
}

}  // namespace relay::plugins::kafka
