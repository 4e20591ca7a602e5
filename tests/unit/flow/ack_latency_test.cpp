#include "flow/ack_latency.hpp"

#include "runtime/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::host {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(AckLatency, APrometheusHistogramOfCumulativeBuckets) {
    MetricsRegistry metrics;
    AckLatency latency(metrics);
    latency.record(50us);
    latency.record(700us);
    latency.record(3ms);
    latency.record(20s);  // beyond the last bound: +Inf only
    const auto text = metrics.render_prometheus();
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="0.0001"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="0.0005"} 1)")) << text;
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="0.001"} 2)")) << text;
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="0.005"} 3)")) << text;
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="10"} 3)")) << text;
    EXPECT_TRUE(has_line(text, R"(relay_ack_latency_seconds_bucket{le="+Inf"} 4)")) << text;
    EXPECT_TRUE(has_line(text, "relay_ack_latency_seconds_count 4")) << text;
}

}  // namespace
}  // namespace relay::host
