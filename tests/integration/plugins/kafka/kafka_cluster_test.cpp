// Three nodes on one topic: every node broadcasts every message, in each sender's
// order per room, across partitions; the shared store group stores each message once.
#include "kafka_test_support.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;

TEST(KafkaCluster, ThreeNodesBroadcastEverythingInOrderAndTheStoreGroupStoresEachOnce) {
    auto& cluster = shared_cluster();
    constexpr int kPartitions = 12;
    const auto topic = fresh_topic(cluster, "cluster", kPartitions);
    const auto token = sdk::testing::unique_token();
    std::vector<std::unique_ptr<Node>> nodes;
    for (const char* id : {"node-a", "node-b", "node-c"}) {
        nodes.push_back(std::make_unique<Node>(cluster, topic, kPartitions, id));
    }
    for (auto& node : nodes) ASSERT_FALSE(node->start());
    // The group settles first: a rebalance may redeliver what was stored but not yet
    // committed (at-least-once), and "each once" is about the settled group.
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            for (auto& node : nodes) {
                if (node->ctx().test_metrics().gauge_value("kafka_store_assigned_partitions") !=
                    kPartitions / 3) {
                    return false;
                }
            }
            return true;
        },
        30s))
        << "the store group did not settle on 4 partitions per node";

    // Two senders per node, each writing 120 messages round-robin over 30 rooms.
    constexpr int kRooms = 30;
    constexpr int kPerSender = 120;
    AckLog acks;
    std::vector<std::thread> senders;
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        for (int s = 0; s < 2; ++s) {
            senders.emplace_back([&, n, s] {
                const std::string sender = "n" + std::to_string(n) + "s" + std::to_string(s);
                for (int i = 0; i < kPerSender; ++i) {
                    auto msg =
                        chat_message(token, "room" + std::to_string((i + s) % kRooms), sender, i);
                    auto id = msg.id;
                    nodes[n]->queue().publish(std::move(msg), acks.callback(std::move(id)));
                }
            });
        }
    }
    for (auto& t : senders) t.join();
    const std::size_t total = nodes.size() * 2 * kPerSender;
    ASSERT_TRUE(acks.wait_for(total, 30s)) << acks.size() << " of " << total << " acked";
    EXPECT_EQ(acks.ok().size(), total) << "error acks: " << acks.failed().size();

    for (auto& node : nodes) {
        ASSERT_TRUE(node->broadcast.wait_for_size(total)) << node->ctx().node_id();
    }
    const auto stored_total = [&] {
        std::size_t n = 0;
        for (auto& node : nodes) n += node->stored.size();
        return n;
    };
    std::set<std::string> stored;
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            stored.clear();
            for (auto& node : nodes) {
                for (const auto& id : node->stored.snapshot()) stored.insert(id);
            }
            return stored.size() >= total;
        },
        30s))
        << stored.size() << " of " << total << " stored";
    for (auto& node : nodes) EXPECT_FALSE(node->stop());

    for (auto& node : nodes) {
        const auto got = node->broadcast.snapshot();
        EXPECT_EQ(got.size(), total) << node->ctx().node_id();
        EXPECT_EQ(ids_of(got), acks.ok()) << node->ctx().node_id();
        EXPECT_EQ(order_problem(got), "") << node->ctx().node_id();
    }
    EXPECT_EQ(stored, acks.ok());
    EXPECT_EQ(stored_total(), total) << "a message was stored by more than one node";
    std::size_t nodes_storing = 0;
    for (auto& node : nodes) nodes_storing += node->stored.size() > 0 ? 1 : 0;
    RecordProperty("nodes_storing", static_cast<int>(nodes_storing));
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
