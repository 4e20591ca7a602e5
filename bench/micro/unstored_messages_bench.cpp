// The read-your-writes bookkeeping's cost per message (host/src/flow/unstored_messages.*),
// as the flow pays it with a store in the pipeline: the ack keeps the message, the
// broadcast finds it kept already, and the oldest go by age. 100 rooms, real message
// ids (ULIDs from one millisecond share their first ten characters), ~100-byte
// payloads, and a steady state of `kept` messages.
#include "flow/message_id.hpp"
#include "flow/unstored_messages.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace sdk = relay::sdk;
using relay::host::UnstoredMessages;

void BM_UnstoredMessagesPerMessage(benchmark::State& state) {
    const auto kept = static_cast<std::size_t>(state.range(0));
    // Evicted by age: one "millisecond" of bench time per message.
    UnstoredMessages unstored(std::chrono::milliseconds(kept), std::size_t{1} << 30);
    std::vector<std::string> rooms;
    for (int i = 0; i < 100; ++i) rooms.push_back("room-" + std::to_string(i));
    // Ids made beforehand, ten per millisecond: the loop measures the bookkeeping.
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(state.max_iterations));
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(state.max_iterations); ++i) {
        ids.push_back(relay::host::next_message_id(1'700'000'000'000 + i / 10));
    }
    sdk::Message msg;
    msg.sender = "sid-AbCdEfGhIjKlMnOp";
    msg.user = "user-42";
    msg.payload_json = R"({"text":")" + std::string(80, 'x') + R"("})";
    const auto t0 = UnstoredMessages::Clock::now();
    std::size_t n = 0;
    for (auto _ : state) {
        msg.id = ids[n];
        msg.room = rooms[n % rooms.size()];
        // What Flow::enqueue and the broadcast subscription do for every message.
        const auto now = t0 + std::chrono::milliseconds(n);
        unstored.add(std::make_shared<const sdk::Message>(msg), now);
        unstored.add(msg, now);
        ++n;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnstoredMessagesPerMessage)->Arg(1000)->Arg(100000)->Iterations(1'000'000);

}  // namespace
