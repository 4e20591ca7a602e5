// The kafka queue's latency and cost, through tools/mock-kafka (its own process, three
// brokers; the program starts and stops it): publish -> broadcast latency at a low rate
// against the embedded memory queue, and throughput with the CPU it costs, for the
// linger / fetch_wait_max choices. The numbers are in plugins/kafka/README.md.
//
//     build/relay_kafka_queue_bench                latency, then throughput
//     build/relay_kafka_queue_bench latency        one of them
//     build/relay_kafka_queue_bench throughput
#include "integration/plugins/kafka/kafka_test_support.hpp"
#include "plugins/memory/memory_queue.hpp"
#include "plugins/memory/settings.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A measurement that cannot go on (the queue did not start, messages went missing).
void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

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
    check(started.wait() && !started.get<0>(), "the queue did not start");
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
    check(arrived.wait_for_size(static_cast<std::size_t>(count)), "messages were not broadcast");
    sdk::testing::Probe<std::error_code> stopped(ctx);
    queue.stop(stopped.callback());
    check(stopped.wait(), "the queue did not stop");
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

void latency_at_low_rate() {
    constexpr int kCount = 500;
    constexpr auto kGap = 20ms;  // 50 messages/s
    {
        sdk::testing::TestContext ctx(memory::schema(), "queue");
        memory::MemoryQueue queue(memory::parse_settings(ctx.config()), ctx);
        report("memory queue", measure(queue, ctx, kCount, kGap));
    }
    auto& cluster = shared_cluster();
    const std::pair<const char*, const char*> settings[] = {
        {"1ms", "5ms"}, {"1ms", "2ms"}, {"0ms", "2ms"}, {"0ms", "1ms"}, {"0ms", "2ms"}};
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

/// CPU seconds (user + system) this process has used.
double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// CPU seconds process `pid` has used (from /proc), or 0.
double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
        if (i == 15) break;
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Publishes `count` messages over 100 rooms as fast as a window of `window` unacked
/// messages allows; reports messages/s from the first publish to the last broadcast and
/// the CPU microseconds per message of this process (the plugin) and of the mock.
void throughput(const char* name, sdk::Queue& queue, sdk::testing::TestContext& ctx, int count,
                int window, pid_t mock_pid) {
    sdk::testing::Collector<int> broadcast;
    std::atomic<int> seen{0};
    queue.subscribe_broadcast([&](const sdk::Message&) {
        if (++seen == count) broadcast.add(1);
    });
    sdk::testing::Probe<std::error_code> started(ctx);
    queue.start(started.callback());
    check(started.wait() && !started.get<0>(), "the queue did not start");
    // Idle first: what fetching costs when nothing is published.
    const double idle_cpu0 = own_cpu_seconds();
    const double idle_mock0 = mock_pid > 0 ? process_cpu_seconds(mock_pid) : 0;
    std::this_thread::sleep_for(3s);  // the idle period being measured
    const double idle_cpu = (own_cpu_seconds() - idle_cpu0) / 3;
    const double idle_mock = mock_pid > 0 ? (process_cpu_seconds(mock_pid) - idle_mock0) / 3 : 0;
    const auto token = sdk::testing::unique_token();
    std::mutex mutex;
    std::condition_variable acked_cv;
    int acked = 0;
    int failed = 0;
    const double cpu0 = own_cpu_seconds();
    const double mock0 = mock_pid > 0 ? process_cpu_seconds(mock_pid) : 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < count; ++i) {
        {
            std::unique_lock lock(mutex);
            acked_cv.wait(lock, [&] { return i - acked < window; });
        }
        auto msg = chat_message(token, "room" + std::to_string(i % 100), "s", i);
        msg.payload_json = R"({"text":")" + std::string(80, 'x') + R"("})";
        queue.publish(std::move(msg), [&](std::error_code ec, std::string) {
            std::lock_guard lock(mutex);
            ++acked;
            if (ec) ++failed;
            acked_cv.notify_all();
        });
    }
    check(broadcast.wait_for_size(1, 120s),
          std::to_string(seen.load()) + " of " + std::to_string(count) + " broadcast");
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = own_cpu_seconds() - cpu0;
    const double mock = mock_pid > 0 ? process_cpu_seconds(mock_pid) - mock0 : 0;
    sdk::testing::Probe<std::error_code> stopped(ctx);
    queue.stop(stopped.callback());
    check(stopped.wait(), "the queue did not stop");
    check(failed == 0, std::to_string(failed) + " publishes failed");
    std::printf(
        "%-40s %7.0f msg/s, CPU/msg %5.1f us + mock %4.1f us; idle CPU %4.1f%% + mock %4.1f%%\n",
        name, count / seconds, cpu * 1e6 / count, mock * 1e6 / count, idle_cpu * 100,
        idle_mock * 100);
}

void throughput_and_cpu() {
    constexpr int kCount = 100000;
    constexpr int kWindow = 2000;
    auto& cluster = shared_cluster();
    const std::pair<const char*, const char*> settings[] = {
        {"1ms", "5ms"}, {"1ms", "2ms"}, {"0ms", "2ms"}, {"5ms", "5ms"}, {"0ms", "2ms"}};
    for (const auto& [linger, fetch_wait] : settings) {
        sdk::testing::TestContext ctx(schema(), "queue");
        configure(ctx.settings(), cluster, fresh_topic(cluster, "throughput", 12), 12);
        ctx.settings().set_text("linger", linger).set_text("fetch_wait_max", fetch_wait);
        auto queue = make_queue(ctx);
        const std::string name =
            std::string("kafka, linger ") + linger + ", fetch_wait_max " + fetch_wait;
        throughput(name.c_str(), *queue, ctx, kCount, kWindow, cluster.pid());
    }
}

}  // namespace
}  // namespace relay::plugins::kafka::testing

int main(int argc, char** argv) {
    using namespace relay::plugins::kafka::testing;
    const std::string_view only = argc > 1 ? argv[1] : "";
    if (!only.empty() && only != "latency" && only != "throughput") {
        std::fprintf(stderr, "usage: %s [latency|throughput]\n", argv[0]);
        return 2;
    }
    try {
        if (only.empty() || only == "latency") latency_at_low_rate();
        if (only.empty() || only == "throughput") throughput_and_cpu();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "relay_kafka_queue_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
