// The rate_limit processor's cost per message, in process: one decide() per message,
// as the host calls it from an I/O thread. Three cases: only the per-connection bucket
// (the default), all three kinds, and all three over many keys (10,000 connections
// from 1,000 addresses, so lookups miss the cache as they would under load). Threads
// > 1 measure the shards' locks under contention.
#include "plugins/rate_limit/rate_limiter.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

namespace rl = relay::plugins::rate_limit;
namespace sdk = relay::sdk;

struct Sender {
    std::string sid, user, address;
};

std::vector<Sender> senders(std::size_t connections, std::size_t addresses) {
    std::vector<Sender> out;
    for (std::size_t i = 0; i < connections; ++i) {
        out.push_back({"sid-" + std::to_string(i) + "-AbCdEfGhIjKl", "user-" + std::to_string(i),
                       "10.0." + std::to_string(i % addresses / 250) + "." +
                           std::to_string(i % addresses % 250)});
    }
    return out;
}

void run(benchmark::State& state, const rl::Settings& settings, std::size_t connections,
         std::size_t addresses) {
    // One limiter shared by the benchmark's threads: made by thread 0 before the loop
    // (the loop starts with a barrier), replaced by the next run.
    static sdk::testing::TestMetrics metrics;
    static std::unique_ptr<rl::RateLimiter> limiter;
    if (state.thread_index() == 0) limiter = std::make_unique<rl::RateLimiter>(settings, metrics);
    const auto all = senders(connections, addresses);
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
    for (auto _ : state) {
        const Sender& s = all[i++ % all.size()];
        // The clock is read per message, as process() does.
        auto verdict = limiter->decide(s.sid, s.user, s.address, rl::Clock::now());
        benchmark::DoNotOptimize(verdict);
    }
    state.SetItemsProcessed(state.iterations());
}

/// Rates high enough that nothing is refused: the cost of the path every message takes.
rl::Settings generous() {
    rl::Settings s;
    s.per_connection = {1e9, 1e9};
    s.per_user = {};
    s.per_address = {};
    return s;
}

void BM_RateLimitPerConnection(benchmark::State& state) {
    run(state, generous(), 1000, 1000);
}

void BM_RateLimitAllKinds(benchmark::State& state) {
    auto s = generous();
    s.per_user = {1e9, 1e9};
    s.per_address = {1e9, 1e9};
    run(state, s, 1000, 100);
}

void BM_RateLimitAllKindsManyKeys(benchmark::State& state) {
    auto s = generous();
    s.per_user = {1e9, 1e9};
    s.per_address = {1e9, 1e9};
    run(state, s, 10000, 1000);
}

}  // namespace

BENCHMARK(BM_RateLimitPerConnection)->Threads(1)->Threads(2);
BENCHMARK(BM_RateLimitAllKinds)->Threads(1)->Threads(2);
BENCHMARK(BM_RateLimitAllKindsManyKeys)->Threads(1);
