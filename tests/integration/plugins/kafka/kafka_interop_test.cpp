// Records are plain JSON keyed by room, readable by any Kafka client: Debian's
// python3-kafka (kafka-python) reads what the queue wrote, over the Kafka protocol.
#include "kafka_test_support.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace relay::plugins::kafka::testing {
namespace {

using namespace std::chrono_literals;

// Prints one JSON line per record: key, partition, offset and the value parsed as JSON.
constexpr const char* kConsumer = R"PY(
import json, sys
from kafka import KafkaConsumer, TopicPartition
bootstrap, topic, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(','), group_id=None,
                         enable_auto_commit=False, consumer_timeout_ms=20000)
partitions = None
for _ in range(100):
    partitions = consumer.partitions_for_topic(topic)
    if partitions:
        break
    consumer.topics()
consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
consumer.seek_to_beginning()
seen = 0
for record in consumer:
    print(json.dumps({'key': record.key.decode('utf-8'), 'partition': record.partition,
                      'offset': record.offset, 'value': json.loads(record.value.decode('utf-8'))}))
    seen += 1
    if seen >= want:
        break
consumer.close()
)PY";

TEST(KafkaInterop, Python3KafkaReadsPlainJsonRecordsKeyedByRoom) {
    auto& cluster = shared_cluster();
    const auto topic = fresh_topic(cluster, "interop", 3);
    const auto token = sdk::testing::unique_token();
    Node node(cluster, topic, 3, "node-i");
    ASSERT_FALSE(node.start());
    AckLog acks;
    std::map<std::string, sdk::Message> sent;
    for (int i = 0; i < 6; ++i) {
        auto msg = chat_message(token, i % 2 ? "odd" : "even", "s", i);
        msg.payload_json = R"({"text":"hello )" + std::to_string(i) + R"(","tags":["a","b"]})";
        if (i == 5) msg.attachments = {std::string("\x89PNG\x00\x01", 6)};
        sent[msg.id] = msg;
        auto id = msg.id;
        node.queue().publish(std::move(msg), acks.callback(std::move(id)));
    }
    ASSERT_TRUE(acks.wait_for(6, 20s));
    ASSERT_EQ(acks.ok().size(), 6u);
    EXPECT_FALSE(node.stop());

    relay::testing::TempDir dir;
    const auto run = relay::testing::Process::run(
        {"/usr/bin/python3", "-c", kConsumer, cluster.bootstrap(), topic, "6"}, dir.path(), 60s);
    ASSERT_EQ(run.exit_code, 0) << "python3-kafka failed (is Debian's python3-kafka installed? "
                                   "tools/install-deps test):\n"
                                << run.err;
    std::istringstream lines(run.out);
    std::string line;
    std::size_t records = 0;
    while (std::getline(lines, line)) {
        const auto record = nlohmann::json::parse(line);
        const auto& value = record["value"];
        const std::string id = value["id"];
        ASSERT_TRUE(sent.count(id)) << line;
        const auto& msg = sent[id];
        EXPECT_EQ(record["key"], msg.room) << "the record key is the room";
        EXPECT_EQ(value["room"], msg.room);
        EXPECT_EQ(value["sender"], "s");
        EXPECT_EQ(value["user"], "s");
        EXPECT_EQ(value["ts"], msg.ts_ms);
        EXPECT_TRUE(value["payload"].is_object()) << "the payload is embedded JSON, not a string";
        EXPECT_EQ(value["payload"], nlohmann::json::parse(msg.payload_json));
        EXPECT_EQ(acks.position(id), std::to_string(record["partition"].get<int>()) + ":" +
                                         std::to_string(record["offset"].get<long>()))
            << "the ack's position is where the record is";
        if (!msg.attachments.empty()) {
            EXPECT_EQ(value["attachments"], nlohmann::json::array({"iVBORwAB"}));
        } else {
            EXPECT_FALSE(value.contains("attachments"));
        }
        ++records;
    }
    EXPECT_EQ(records, 6u) << run.out << run.err;
}

}  // namespace
}  // namespace relay::plugins::kafka::testing
