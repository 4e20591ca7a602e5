#include "runtime/health_board.hpp"
#include "runtime/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::host {
namespace {

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(HealthBoard, UnavailableAndDegradedPluginsAreListedAndCountedPerPlugin) {
    MetricsRegistry metrics;
    HealthBoard board(metrics);
    auto& queue = board.reporter("queue 'kafka'", "queue/kafka");
    auto& presence = board.reporter("presence 'valkey'", "presence/valkey");
    EXPECT_TRUE(has_line(metrics.render_prometheus(), "relay_plugin_up{plugin=\"queue/kafka\"} 1"));
    EXPECT_TRUE(has_line(metrics.render_prometheus(), "relay_plugins_unavailable 0"));

    queue.unavailable("no broker answers");
    queue.unavailable("no broker answers");  // a repeat changes nothing
    presence.degraded("Valkey out of reach");
    EXPECT_EQ(board.unavailabilities(), "queue 'kafka': no broker answers\n");
    EXPECT_EQ(board.degradations(), "presence 'valkey': Valkey out of reach\n");
    const auto text = metrics.render_prometheus();
    EXPECT_TRUE(has_line(text, "relay_plugin_up{plugin=\"queue/kafka\"} 0")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugin_up{plugin=\"presence/valkey\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugin_unavailable_total{plugin=\"queue/kafka\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugins_unavailable 1")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugins_degraded 1")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugin_degraded{plugin=\"presence/valkey\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "relay_plugin_degraded{plugin=\"queue/kafka\"} 0")) << text;
    const auto plugins = board.plugins();
    ASSERT_EQ(plugins.size(), 2U);
    EXPECT_EQ(plugins[0].label, "presence 'valkey'");
    EXPECT_EQ(plugins[0].metric_name, "presence/valkey");
    EXPECT_EQ(plugins[0].state, "degraded");
    EXPECT_EQ(plugins[0].reason, "Valkey out of reach");
    EXPECT_EQ(plugins[1].state, "unavailable");
    // One HELP and TYPE per metric, however many plugins it has a series for.
    EXPECT_EQ(text.find("# TYPE relay_plugin_up gauge"),
              text.rfind("# TYPE relay_plugin_up gauge"));

    queue.recovered();
    presence.recovered();
    EXPECT_EQ(board.plugins()[0].state, "working");
    EXPECT_EQ(board.plugins()[0].reason, "");
    EXPECT_EQ(board.unavailabilities(), "");
    EXPECT_EQ(board.degradations(), "");
    const auto after = metrics.render_prometheus();
    EXPECT_TRUE(has_line(after, "relay_plugin_up{plugin=\"queue/kafka\"} 1")) << after;
    EXPECT_TRUE(has_line(after, "relay_plugin_unavailable_total{plugin=\"queue/kafka\"} 1"))
        << after;
    EXPECT_TRUE(has_line(after, "relay_plugins_unavailable 0")) << after;

    queue.unavailable("again");
    EXPECT_TRUE(has_line(metrics.render_prometheus(),
                         "relay_plugin_unavailable_total{plugin=\"queue/kafka\"} 2"));
}

}  // namespace
}  // namespace relay::host
