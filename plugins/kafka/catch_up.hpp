#pragma once
/// Stop's second step: the subscriptions catch up with what this node acked.
#include "broadcast_reader.hpp"
#include "kafka_client.hpp"
#include "progress_signal.hpp"
#include "store_consumer.hpp"

#include <relay/sdk/logger.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <system_error>

namespace relay::plugins::kafka {

/// Waits until the broadcast reader (when it runs) has read, and the store group
/// (when this node is in it) has committed, every partition up to `targets` (the
/// offsets after what this node acked): then no message this node acked is left
/// unbroadcast or unstored by its stop. A partition the group assigned to another
/// node is committed by that node: the group's committed offsets are asked for every
/// kGroupQueryInterval. At `deadline` it gives up with a warning saying what was left
/// (naming `drain_timeout`) and returns timed_out.
/// Null parts are not waited for. Runs on stop's thread.
std::error_code wait_until_caught_up(const std::map<std::int32_t, std::int64_t>& targets,
                                     BroadcastReader* broadcast, StoreConsumer* store,
                                     ProgressSignal& progress, Clock::time_point deadline,
                                     std::chrono::milliseconds drain_timeout, sdk::Logger& log);

}  // namespace relay::plugins::kafka
