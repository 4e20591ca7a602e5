// A manual measurement, not a test: publish -> broadcast latency at a low rate, kafka
// queue (through the mock cluster in its own process) against the embedded memory queue.
// Run it with
//   relay_integration_tests --gtest_also_run_disabled_tests --gtest_filter='*KafkaLatency*'
// and write the numbers in plugins/kafka/README.md. No timing is asserted.
#include "kafka_test_support.hpp"

#include "plugins/memory/memory_queue.hpp"
#include "plugins/memory/settings.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Percentiles {
    double p50, p90, p99, max;
};

/// Publishes `count` messages `gap` apart; returns publish -> broadcast latencies (ms).
Percentiles measure(sdk::Queue& queue, sdk::testing::TestContext& ctx, int count,
                    std::chrono::milliseconds gap) {
    std::mutex mutex;
    std::map<std::string, Clock::time_point> sent;
    std::vector<double> latencies;
    sdk::testing::Collector<int> arrived;
    queue.subscribe_broadcast([&](const sdk::Message& msg) {
        const auto now = Clock::now();
        std::lock_guard lock(mutex);
        auto it = sent.find(msg.id);
        if (it == sent.end()) return;
        latencies.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
        arrived.add(1);
    });
    sdk::testing::Probe<std::error_code> started(ctx);
    queue.start(started.callback());
    EXPECT_TRUE(started.wait());
    const auto token = sdk::testing::unique_token();
    for (int i = 0; i < count; ++i) {
        auto msg = chat_message(token, "room" + std::to_string(i % 10), "s", i);
        {
            std::lock_guard lock(mutex);
            sent[msg.id] = Clock::now();
        }
        queue.publish(std::move(msg), [](std::error_code, std::string) {});
        std::this_thread::sleep_for(gap);  // the rate being measured
    }
    EXPECT_TRUE(arrived.wait_for_size(static_cast<std::size_t>(count)));
    sdk::testing::Probe<std::error_code> stopped(ctx);
    queue.stop(stopped.callback());
    EXPECT_TRUE(stopped.wait());
    std::lock_guard lock(mutex);
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) {
        return latencies.empty() ? 0.0
                                 : latencies[static_cast<std::size_t>(q * (latencies.size() - 1))];
    };
    return {at(0.5), at(0.9), at(0.99), latencies.empty() ? 0.0 : latencies.back()};
}

void report(const char* name, const Percentiles& p) {
    std::printf("%-40s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", name, p.p50, p.p90,
                p.p99, p.max);
}

TEST(KafkaLatency, DISABLED_PublishToBroadcastAtLowRate) {
    constexpr int kCount = 500;
    constexpr auto kGap = 20ms;  // 50 messages/s
    {
        sdk::testing::TestContext ctx(memory::schema(), "queue");
        memory::MemoryQueue queue(memory::parse_settings(ctx.config()), ctx);
        report("memory queue", measure(queue, ctx, kCount, kGap));
    }
    auto& cluster = shared_cluster();
    const std::pair<const char*, const char*> settings[] = {
        {"1ms", "5ms"}, {"0ms", "5ms"}, {"1ms", "2ms"}, {"0ms", "2ms"}};
    for (const auto& [linger, fetch_wait] : settings) {
        sdk::testing::TestContext ctx(schema(), "queue");
        configure(ctx.settings(), cluster, fresh_topic(cluster, "latency", 12), 12);
        ctx.settings().set_text("linger", linger).set_text("fetch_wait_max", fetch_wait);
        auto queue = make_queue(ctx);
        const std::string name =
            std::string("kafka, linger ") + linger + ", fetch_wait_max " + fetch_wait;
        report(name.c_str(), measure(*queue, ctx, kCount, kGap));
    }
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
