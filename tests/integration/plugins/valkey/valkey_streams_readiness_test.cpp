// What the operator and the load balancer see while the valkey_streams queue's server
// is away: /readyz 503 naming the queue within 2 s, and 200 again only once the
// server answers on the connection publishes go through.
#include "support/relay_node.hpp"
#include "support/valkey_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

namespace relay::testing {
namespace {

using namespace std::chrono_literals;

TEST(ValkeyStreamsReadiness, ReadyzIs503WhileTheServerIsGoneAndReadyOnceItAcksAgain) {
    ValkeyServer server;
    RelayNode node("queue: { use: valkey_streams, url: \"" + server.url() +
                   "\", partitions: 4, connect_timeout: 500ms, command_timeout: 500ms, "
                   "reconnect_delay: 50ms, reconnect_delay_max: 200ms }\n");
    ASSERT_EQ(node.publish_one("lobby").rfind("ACK t1 ", 0), 0u) << node.log();

    server.kill9();
    const auto down_ms = node.ms_until_readyz(503, 10s);
    ASSERT_TRUE(down_ms) << node.readyz().body << node.log();
    EXPECT_LE(*down_ms, 2000) << "the load balancer must hear of it within 2 s";
    const auto body = node.readyz().body;
    EXPECT_NE(body.find("not ready: unavailable:\nqueue 'valkey_streams': lost the connection "
                        "to Valkey at " +
                        server.endpoint()),
              std::string::npos)
        << body;
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"queue/valkey_streams\"}"), 0);
    EXPECT_EQ(node.metric("relay_plugin_unavailable_total{plugin=\"queue/valkey_streams\"}"), 1);
    // Publishes fail meanwhile, with an error ack.
    EXPECT_EQ(node.publish_one("lobby").rfind("NACK t1 ", 0), 0u);

    server.restart();
    const auto up_ms = node.ms_until_readyz(200, 20s);
    ASSERT_TRUE(up_ms) << node.readyz().body << node.log();
    // Ready means acked: a message published now is acked at once.
    const auto start = std::chrono::steady_clock::now();
    const auto answer = node.publish_one("lobby", 5s);
    const auto ack_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    EXPECT_EQ(answer.rfind("ACK t1 ", 0), 0u) << answer;
    EXPECT_LT(ack_ms, 1000);
    EXPECT_EQ(node.metric("relay_plugin_up{plugin=\"queue/valkey_streams\"}"), 1);
    std::cout << "valkey_streams server killed: /readyz 503 after " << *down_ms
              << " ms; restarted: 200 after " << *up_ms << " ms, first ack " << ack_ms
              << " ms after that\n";
    RecordProperty("readyz_503_ms", static_cast<int>(*down_ms));
    RecordProperty("readyz_200_ms", static_cast<int>(*up_ms));
}

}  // namespace
}  // namespace relay::testing
