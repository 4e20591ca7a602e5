// Whole Relay pipelines on the kafka plugin loaded from build/plugins (dlopen), as
// `relay run` loads it: three hosts (three nodes, an in-process recording transport
// each, their own sqlite store) share one topic. And config/production.yaml checks.
#include "kafka_test_support.hpp"

#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/process.hpp"
#include "support/recording_transport.hpp"
#include "support/sqlite_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;
using relay::testing::RecordingTransport;

std::string kafka_pipeline(const std::string& node, const std::filesystem::path& db,
                           const relay::testing::MockKafka& cluster, const std::string& topic) {
    return "node: { id: " + node +
           ", threads: 2 }\n"
           "transport: { use: testline }\n"
           "queue: { use: kafka, brokers: \"" +
           cluster.bootstrap() + "\", topic: " + topic + ", partitions: 12, store_group: store-" +
           topic +
           ", store_session_timeout: 6s }\n"
           "presence: { use: local }\n"
           "store: { use: sqlite, path: " +
           db.string() + " }\n";
}

TEST(KafkaPipeline, ThreeRelayNodesBroadcastEveryMessageAndStoreEachOnce) {
    auto& cluster = shared_cluster();
    const auto topic = fresh_topic(cluster, "pipeline", 12);
    relay::testing::TempDir dir;
    constexpr int kNodes = 3;
    constexpr int kRooms = 20;
    constexpr int kPerSender = 10;  // one sender per room per node

    struct NodeParts {
        host::Pipeline loaded;
        RecordingTransport* transport = nullptr;
        std::unique_ptr<host::Host> host;
        std::filesystem::path db;
    };
    std::vector<NodeParts> nodes(kNodes);
    for (int n = 0; n < kNodes; ++n) {
        auto& node = nodes[n];
        const std::string id = "node-" + std::to_string(n);
        node.db = dir / (id + ".db");
        node.loaded =
            relay::testing::load_test_pipeline(kafka_pipeline(id, node.db, cluster, topic));
        auto transport = std::make_unique<RecordingTransport>();
        node.transport = transport.get();
        for (int r = 0; r < kRooms; ++r) {
            // On every node: one member who sends, one who only listens.
            const std::string room = "room" + std::to_string(r);
            transport->add_member(room, id + "-r" + std::to_string(r) + "-sender");
            transport->add_member(room, id + "-r" + std::to_string(r) + "-listener");
        }
        node.host = std::make_unique<host::Host>(node.loaded, std::move(transport));
    }
    for (auto& node : nodes) ASSERT_NO_THROW(node.host->start());
    // The group settles first (see KafkaCluster): 12 partitions, 4 per node.
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            for (auto& node : nodes) {
                if (node.host->metrics().gauge("kafka_store_assigned_partitions", "").value() !=
                    4) {
                    return false;
                }
            }
            return true;
        },
        30s))
        << "the store group did not settle on 4 partitions per node";

    std::mutex mutex;
    std::vector<sdk::Published> acks;
    std::vector<std::thread> senders;
    for (int n = 0; n < kNodes; ++n) {
        senders.emplace_back([&, n] {
            for (int i = 0; i < kPerSender; ++i) {
                for (int r = 0; r < kRooms; ++r) {
                    sdk::Message msg;
                    msg.room = "room" + std::to_string(r);
                    msg.sender = "node-" + std::to_string(n) + "-r" + std::to_string(r) + "-sender";
                    msg.user = "user";
                    msg.payload_json = nlohmann::json{{"seq", i}}.dump();
                    nodes[n].transport->inbound().publish(std::move(msg),
                                                          [&](const sdk::Published& p) {
                                                              std::lock_guard lock(mutex);
                                                              acks.push_back(p);
                                                          });
                }
            }
        });
    }
    for (auto& s : senders) s.join();
    constexpr std::size_t kTotal = kNodes * kRooms * kPerSender;
    ASSERT_TRUE(relay::testing::eventually(
        [&] {
            std::lock_guard lock(mutex);
            return acks.size() == kTotal;
        },
        30s));
    std::set<std::string> acked;
    for (const auto& ack : acks) {
        EXPECT_FALSE(ack.error) << ack.error.message() << " " << ack.reason;
        EXPECT_FALSE(ack.position.empty());
        acked.insert(ack.id);
    }
    ASSERT_EQ(acked.size(), kTotal);

    // Every node broadcasts every message to its own members, each sender in order.
    for (auto& node : nodes) {
        ASSERT_TRUE(
            relay::testing::eventually([&] { return node.transport->broadcasts() == kTotal; }, 30s))
            << node.transport->broadcasts() << " of " << kTotal;
    }
    for (auto& node : nodes) {
        for (const auto& [receiver, list] : node.transport->received()) {
            std::map<std::string, int> last;
            std::set<std::string> seen;
            for (const auto& d : list) {
                ASSERT_NE(d.sender, receiver);
                ASSERT_TRUE(seen.insert(d.id).second) << "duplicate delivery to " << receiver;
                ASSERT_TRUE(acked.count(d.id));
                const int seq = nlohmann::json::parse(d.payload)["seq"].get<int>();
                auto [it, fresh] = last.emplace(d.sender, seq);
                if (!fresh) {
                    ASSERT_GT(seq, it->second)
                        << receiver << " got " << d.sender << " out of order";
                    it->second = seq;
                }
            }
            // A listener hears the room's three senders; a sender the other two.
            EXPECT_EQ(list.size(),
                      static_cast<std::size_t>(
                          (receiver.ends_with("-listener") ? kNodes : kNodes - 1) * kPerSender))
                << receiver;
        }
    }

    // The store group: every message stored, each by exactly one node.
    const auto stored_everywhere = [&] {
        std::size_t rows = 0;
        std::set<std::string> ids;
        for (auto& node : nodes) {
            for (const auto& id : relay::testing::stored_ids(node.db)) {
                ids.insert(id);
                ++rows;
            }
        }
        return std::pair{rows, ids};
    };
    ASSERT_TRUE(relay::testing::eventually(
        [&] { return stored_everywhere().second.size() == kTotal; }, 30s));
    for (auto& node : nodes) node.host->stop();
    const auto [rows, ids] = stored_everywhere();
    EXPECT_EQ(ids, acked);
    EXPECT_EQ(rows, kTotal) << "a message was stored by more than one node";
}

TEST(KafkaPipeline, ProductionConfigValidates) {
    relay::testing::TempDir dir;
    const auto r = relay::testing::Process::run(
        {RELAY_BINARY, "check", std::string(RELAY_SOURCE_DIR) + "/config/production.yaml"},
        dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("production.yaml: ok (transport 'websocket', queue 'kafka', presence "
                         "'valkey', store 'postgres', auth 'none', 0 processor(s))"),
              std::string::npos)
        << r.out << r.err;
}

TEST(KafkaPipeline, CheckReportsUnknownLibrdkafkaPropertiesWithTheirLocation) {
    relay::testing::TempDir dir;
    const auto file = dir / "bad.yaml";
    {
        std::ofstream out(file);
        out << "transport: { use: testline }\n"
               "queue:\n"
               "  use: kafka\n"
               "  brokers: 127.0.0.1:9092\n"
               "  properties: [securty.protocol=SSL]\n";
    }
    const auto r = relay::testing::Process::run(
        {RELAY_BINARY, "check", "--plugin-path", RELAY_TEST_PLUGIN_DIR, file.string()}, dir.path());
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find("bad.yaml:5:15: queue.properties: No such configuration property: "
                         "\"securty.protocol\""),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
