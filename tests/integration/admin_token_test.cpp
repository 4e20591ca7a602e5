// admin.token: /metrics answers only requests with the bearer token; the probes a load
// balancer uses stay open, since they tell only up or down.
#include "support/relay_node.hpp"

#include <gtest/gtest.h>

namespace {

using relay::testing::http_get;
using relay::testing::RelayNode;

TEST(AdminToken, MetricsNeedTheBearerTokenWhileTheProbesStayOpen) {
    RelayNode node("queue: { use: memory }\n", "node-a", ", token: s3cret-token");
    const auto port = node.admin_port();

    const auto without = http_get(port, "/metrics");
    EXPECT_EQ(without.status, 401);
    EXPECT_EQ(without.body, "a bearer token is required (admin.token)\n");
    EXPECT_EQ(http_get(port, "/metrics", {{"Authorization", "Bearer wrong-token!"}}).status, 401);
    EXPECT_EQ(http_get(port, "/metrics", {{"Authorization", "Bearer s3cret-toke"}}).status, 401);
    EXPECT_EQ(
        http_get(port, "/metrics", {{"Authorization", "Bearer s3cret-token-and-more"}}).status,
        401);
    EXPECT_EQ(http_get(port, "/metrics", {{"Authorization", "Basic s3cret-token"}}).status, 401);

    const auto with = http_get(port, "/metrics", {{"Authorization", "Bearer s3cret-token"}});
    EXPECT_EQ(with.status, 200);
    EXPECT_NE(with.body.find("relay_messages_accepted_total"), std::string::npos) << with.body;

    EXPECT_EQ(http_get(port, "/healthz").status, 200);
    EXPECT_EQ(http_get(port, "/readyz").status, 200);

    // The admin page's figures are /metrics' series: the same token guards them. The page
    // itself holds no data and is open, so a browser can ask for the token.
    EXPECT_EQ(http_get(port, "/admin/stats").status, 401);
    EXPECT_EQ(http_get(port, "/admin/stats", {{"Authorization", "Bearer wrong-token!"}}).status,
              401);
    const auto stats = http_get(port, "/admin/stats", {{"Authorization", "Bearer s3cret-token"}});
    EXPECT_EQ(stats.status, 200);
    EXPECT_NE(stats.body.find(R"("node":"node-a")"), std::string::npos) << stats.body;
    EXPECT_NE(stats.body.find(R"("relay_messages_accepted_total":)"), std::string::npos)
        << stats.body;
    const auto page = http_get(port, "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<title>Relay admin</title>"), std::string::npos);
    EXPECT_EQ(http_get(port, "/admin/admin.js").status, 200);
    EXPECT_EQ(http_get(port, "/admin/nothing").status, 404);
}

TEST(AdminToken, WithoutATokenMetricsAreOpen) {
    RelayNode node("queue: { use: memory }\n");
    EXPECT_EQ(http_get(node.admin_port(), "/metrics").status, 200);
}

}  // namespace
