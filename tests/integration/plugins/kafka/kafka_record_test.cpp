// The kafka queue's record format and settings: pure code, no cluster. (They live
// with the kafka tests because the plugin's implementation is linked here.)
#include "plugins/kafka/ingested_id.hpp"
#include "plugins/kafka/kafka_client.hpp"
#include "plugins/kafka/record.hpp"
#include "plugins/kafka/settings.hpp"

#include <relay/sdk/message_id.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace relay::plugins::kafka {
namespace {

using namespace std::chrono_literals;
using sdk::testing::TestConfig;

sdk::Message sample() {
    sdk::Message msg;
    msg.id = "01HXYZ";
    msg.room = "lobby \"main\"";
    msg.sender = "sid-1";
    msg.user = "ann\u00e9";
    msg.ts_ms = 1700000000123;
    msg.payload_json = R"({"text":"hi \"there\"","n":[1,2.5,-3e2,true,null],"o":{}})";
    return msg;
}

TEST(KafkaRecord, IsPlainJsonWithThePayloadEmbeddedAsJson) {
    const auto text = encode_record(sample());
    const auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["id"], "01HXYZ");
    EXPECT_EQ(json["room"], "lobby \"main\"");
    EXPECT_EQ(json["ts"], 1700000000123);
    EXPECT_EQ(json["sender"], "sid-1");
    EXPECT_EQ(json["user"], "ann\u00e9");
    EXPECT_TRUE(json["payload"].is_object());
    EXPECT_EQ(json["payload"]["text"], "hi \"there\"");
    EXPECT_FALSE(json.contains("attachments")) << "no attachments, no key";
    EXPECT_FALSE(json.contains("position"));
}

TEST(KafkaRecord, RoundTripsByteForByteWithAttachmentsAsBase64) {
    sdk::Message msg = sample();
    msg.attachments = {std::string("\x00\x01\xff\xfe binary", 11), "", "a", "ab", "abc"};
    const auto text = encode_record(msg);
    const auto json = nlohmann::json::parse(text);
    ASSERT_EQ(json["attachments"].size(), 5u);
    EXPECT_EQ(json["attachments"][0], "AAH//iBiaW5hcnk=");
    EXPECT_EQ(json["attachments"][2], "YQ==");
    std::string why;
    const auto back = decode_record(text, &why);
    ASSERT_TRUE(back) << why;
    EXPECT_EQ(*back, msg);
}

TEST(KafkaRecord, ControlCharactersAreWrittenAsUnicodeEscapes) {
    sdk::Message msg = sample();
    msg.user = "a\x01-\x1f";
    const auto text = encode_record(msg);
    EXPECT_NE(text.find(R"("user":"a\u0001-\u001f")"), std::string::npos) << text;
    std::string why;
    const auto back = decode_record(text, &why);
    ASSERT_TRUE(back) << why;
    EXPECT_EQ(back->user, msg.user);
}

TEST(KafkaRecord, APayloadThatIsNotJsonTravelsAsText) {
    sdk::Message msg = sample();
    msg.payload_json = "3:14 {not json";
    const auto text = encode_record(msg);
    const auto json = nlohmann::json::parse(text);
    EXPECT_FALSE(json.contains("payload"));
    EXPECT_EQ(json["payload_text"], "3:14 {not json");
    EXPECT_EQ(decode_record(text)->payload_json, msg.payload_json);
}

TEST(KafkaRecord, ControlCharactersAndUnicodeEscapesDecode) {
    sdk::Message msg = sample();
    msg.user = std::string("tab\there\nnul", 12) + std::string(1, '\x01');
    const auto back = decode_record(encode_record(msg));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->user, msg.user);
    // Written by another tool: escapes, a surrogate pair, unknown fields, any order.
    const auto other =
        decode_record(R"( {"extra":[1,{"x":null}],"room":"r\u00e9\ud83d\ude00","id":"a\/b","ts":5,)"
                      R"("payload":  {"k" : [ ] } } )");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->room, "r\u00e9\U0001F600");
    EXPECT_EQ(other->id, "a/b");
    EXPECT_EQ(other->ts_ms, 5);
    EXPECT_EQ(other->payload_json, R"({"k" : [ ] })");
    EXPECT_EQ(other->sender, "");
}

TEST(KafkaRecord, WhatIsNotARelayRecordIsRefusedWithAReason) {
    std::string why;
    EXPECT_FALSE(decode_record("", &why));
    EXPECT_EQ(why, "not a JSON object");
    EXPECT_FALSE(decode_record(R"({"id":"x"})", &why));
    EXPECT_EQ(why, "no \"room\"");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":""})", &why));
    EXPECT_EQ(why, "an empty \"room\"");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":"a\nb"})", &why));
    EXPECT_EQ(why, "a control character in \"room\"");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":5})", &why));
    EXPECT_EQ(why, "bad value of \"room\"");
    EXPECT_FALSE(decode_record(R"({"id":"","room":"r"})", &why));
    EXPECT_EQ(why, "an empty \"id\"");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":"r"} trailing)", &why));
    EXPECT_EQ(why, "text after the JSON object");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":"r","ts":1.5})", &why));
    EXPECT_EQ(why, "bad value of \"ts\"");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":"r","attachments":["@@"]})", &why));
    EXPECT_EQ(why, "an attachment is not base64");
    EXPECT_FALSE(decode_record(R"({"id":"x","room":"r","payload":{"a":})", &why));
    EXPECT_FALSE(decode_record(R"({"id":"x\ud800","room":"r"})", &why));
}

// Another service's record (docs/kafka-ingestion.md): no id, or a null one, and a
// payload object; the decoder assigns the id (ingested_id.hpp).
TEST(KafkaRecord, ARecordWithoutIdNeedsAPayloadObject) {
    std::string why;
    const auto plain = decode_record(R"({"room":"r","user":"bot","payload":{"text":"hi"}})");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->id, "");
    EXPECT_EQ(plain->room, "r");
    EXPECT_EQ(plain->user, "bot");
    EXPECT_EQ(plain->payload_json, R"({"text":"hi"})");
    EXPECT_EQ(plain->ts_ms, 0);
    const auto null_id = decode_record(R"({"id":null,"room":"r","payload":{}})");
    ASSERT_TRUE(null_id);
    EXPECT_EQ(null_id->id, "");
    for (const char* bad :
         {R"({"room":"r"})", R"({"room":"r","payload":[1]})", R"({"room":"r","payload":"text"})",
          R"({"room":"r","payload_text":"{}"})", R"({"id":null,"room":"r","payload":3})"}) {
        EXPECT_FALSE(decode_record(bad, &why)) << bad;
        EXPECT_EQ(why, R"(no "id" and no "payload" object)") << bad;
    }
    // With an id (a node's own record), the payload may be any JSON, as before.
    EXPECT_TRUE(decode_record(R"({"id":"x","room":"r","payload":[1]})"));
}

TEST(KafkaRecord, AnIngestedIdIsAUlidOfTheRecordsTimeAndPlace) {
    const auto id = ingested_message_id(1700000000123, 3, 42);
    EXPECT_EQ(id.size(), 26U);
    EXPECT_EQ(sdk::message_id_time(id), 1700000000123);
    EXPECT_EQ(id, ingested_message_id(1700000000123, 3, 42)) << "the same in every reader";
    EXPECT_NE(id, ingested_message_id(1700000000123, 3, 43));
    EXPECT_NE(id, ingested_message_id(1700000000123, 4, 42));
    EXPECT_LT(id, ingested_message_id(1700000000124, 0, 0)) << "sorts by time first";
    EXPECT_LT(ingested_message_id(5, 0, 0xFFFFFFFF), ingested_message_id(5, 1, 0));
    EXPECT_EQ(sdk::message_id_time(ingested_message_id(-1, 0, 0)), 0);
    EXPECT_EQ(ingested_message_id(0, 0, 1),
              "0000000000000000000000000"
              "1");
    EXPECT_EQ(ingested_message_id(0, 0, 32), "00000000000000000000000010");
}

TEST(KafkaRecord, TheLongestRecordIsTheProducersMessageMaxBytes) {
    Settings settings;
    EXPECT_EQ(max_record_bytes(settings), 1000000U);
    settings.properties = {{"message.max.bytes", "2000000"}};
    EXPECT_EQ(max_record_bytes(settings), 2000000U);
}

TEST(KafkaRecord, JsonValidation) {
    for (const char* good :
         {"{}", "[]", " 1 ", "-0.5e+3", "\"\\u00e9\"", "null", "[{\"a\":[true]}]"}) {
        EXPECT_TRUE(is_json(good)) << good;
    }
    for (const char* bad :
         {"", "{", "01", "1.", "[1,]", "{\"a\"}", "tru", "\"\x01\"", "1 2", "'a'"}) {
        EXPECT_FALSE(is_json(bad)) << bad;
    }
    EXPECT_FALSE(is_json(std::string(1000, '[') + std::string(1000, ']'))) << "nesting is bounded";
    EXPECT_TRUE(is_json(std::string(100, '[') + std::string(100, ']')));
}

TEST(KafkaRecord, Base64) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(*base64_decode("Zm9vYg=="), "foob");
    EXPECT_FALSE(base64_decode("Zm9vYg="));
    EXPECT_FALSE(base64_decode("Zm=vYg=="));
    EXPECT_FALSE(base64_decode("Zm9v!g=="));
}

TEST(KafkaPosition, IsPartitionColonOffset) {
    EXPECT_EQ(format_position(3, 42), "3:42");
}

TEST(KafkaSettings, DefaultsComeFromTheSchema) {
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092");
    const Settings s = parse_settings(config);
    const Settings defaults;
    EXPECT_EQ(s.brokers, "k1:9092");
    EXPECT_EQ(s.topic, defaults.topic);
    EXPECT_EQ(s.topic, "chats");
    EXPECT_EQ(s.partitions, 12);
    EXPECT_EQ(s.replication_factor, 3);
    EXPECT_TRUE(s.create_topic);
    EXPECT_EQ(s.linger, 0ms);
    EXPECT_EQ(s.requests_in_flight, 1);
    EXPECT_EQ(s.batch_size, 1000000u);
    EXPECT_EQ(s.message_timeout, 30s);
    EXPECT_EQ(s.max_in_flight, 100000u);
    EXPECT_EQ(s.fetch_wait_max, 2ms);
    EXPECT_EQ(s.store_fetch_wait_max, 100ms);
    EXPECT_EQ(s.store_session_timeout, 10s);
    EXPECT_EQ(s.store_group, "relay-store");
    EXPECT_EQ(s.store.batch_max, 500u);
    EXPECT_EQ(s.broadcast_start, BroadcastStart::end);
    EXPECT_EQ(s.client_id, "relay");
    EXPECT_TRUE(s.properties.empty());
    EXPECT_EQ(s.admin_timeout, defaults.admin_timeout);
    EXPECT_EQ(s.read_timeout, defaults.read_timeout);
    EXPECT_EQ(s.partition_check_interval, defaults.partition_check_interval);
}

TEST(KafkaSettings, SchemaMarksBrokersRequiredAndPropertiesSecret) {
    for (const auto& key : schema()) {
        EXPECT_FALSE(key.description.empty()) << key.name;
        EXPECT_EQ(key.required, key.name == "brokers") << key.name;
        EXPECT_EQ(key.secret, key.name == "properties") << key.name;
        EXPECT_EQ(key.required, !key.default_value.has_value()) << key.name;
    }
}

TEST(KafkaSettings, BadValuesAreLocatedConfigErrors) {
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092").set_string("topic", "__consumer_offsets");
    try {
        parse_settings(config);
        ADD_FAILURE() << "a Kafka-internal topic was accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.topic: topics starting with \"__\" are Kafka's own; "
                     "choose another name");
    }
    config.unset("topic").set_integer("partitions", 0);
    try {
        parse_settings(config);
        ADD_FAILURE() << "0 partitions accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.partitions: expected a positive integer, got 0");
    }
    config.unset("partitions").set_string_list("properties", {"sasl.password"});
    try {
        parse_settings(config);
        ADD_FAILURE() << "a property without a value accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.properties: expected key=value entries (e.g. "
                     "security.protocol=SSL)");
    }
    config.unset("properties").set_duration("admin_timeout", 0ms);
    try {
        parse_settings(config);
        ADD_FAILURE() << "an admin_timeout of 0 accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.admin_timeout: expected a duration of at least 1ms, "
                     "got 0");
    }
    config.unset("admin_timeout").set_string("store_group", " \t");
    try {
        parse_settings(config);
        ADD_FAILURE() << "a blank store_group accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(), "test.yaml:1:1: queue.store_group: expected a non-empty string");
    }
}

// A store consumer sends no heartbeat while its join waits the coordinator's initial
// rebalance delay (3s); librdkafka's mock drops a lone joiner whose session is shorter,
// and never answers it (the flaky CrashKafkaPipeline test, with 2s).
TEST(KafkaSettings, AStoreSessionShorterThanAJoinMayWaitIsRefused) {
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092").set_duration("store_session_timeout", 2s);
    try {
        parse_settings(config);
        ADD_FAILURE() << "a 2s store session accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "test.yaml:1:1: queue.store_session_timeout: expected at least 4000ms, got "
                     "2000ms: a node joining an empty store group sends no heartbeat while the "
                     "coordinator waits its initial rebalance delay (3s), and a shorter session "
                     "can lose the join for minutes");
    }
    config.set_duration("store_session_timeout", kMinStoreSessionTimeout);
    EXPECT_EQ(parse_settings(config).store_session_timeout, 4s);
}

TEST(KafkaSettings, PropertiesPassThroughAndUnknownOnesAreReported) {
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092")
        .set_string_list("properties", {"security.protocol = SASL_PLAINTEXT", "sasl.password=a=b"});
    const Settings s = parse_settings(config);
    ASSERT_EQ(s.properties.size(), 2u);
    EXPECT_EQ(s.properties[0],
              (std::pair<std::string, std::string>{"security.protocol", "SASL_PLAINTEXT"}));
    EXPECT_EQ(s.properties[1].second, "a=b");
    EXPECT_TRUE(check_properties(s.properties).empty());

    const auto problems =
        check_properties({{"securty.protocol", "SSL"}, {"batch.num.messages", "many"}});
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0], "No such configuration property: \"securty.protocol\"");
    EXPECT_EQ(problems[1], "Invalid value for configuration property \"batch.num.messages\"");
    // A client with an unknown property is refused at construction, by name.
    Settings bad = s;
    bad.properties = {{"securty.protocol", "SSL"}};
    try {
        make_conf(bad, Role::producer, "n", "");
        ADD_FAILURE() << "an unknown property was accepted";
    } catch (const ClientConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "librdkafka property 'securty.protocol': No such configuration property: "
                     "\"securty.protocol\"");
    }
}

/// A property of `conf` as librdkafka holds it.
std::string property(rd_kafka_conf_t* conf, const char* name) {
    char value[256];
    std::size_t size = sizeof value;
    if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return "?";
    return value;
}

TEST(KafkaSettings, EachClientGetsItsPartOfTheSettings) {
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092");
    Settings s = parse_settings(config);
    auto producer = make_conf(s, Role::producer, "n", "");
    EXPECT_EQ(property(producer.get(), "linger.ms"), "0");
    EXPECT_EQ(property(producer.get(), "enable.idempotence"), "true");
    EXPECT_EQ(property(producer.get(), "acks"), "-1");  // all
    EXPECT_EQ(property(producer.get(), "max.in.flight.requests.per.connection"), "1");
    auto broadcast = make_conf(s, Role::broadcast, "n", "g");
    EXPECT_EQ(property(broadcast.get(), "fetch.wait.max.ms"), "2");
    auto reader = make_conf(s, Role::reader, "n", "g");
    EXPECT_EQ(property(reader.get(), "fetch.wait.max.ms"), "2");
    auto store = make_conf(s, Role::store, "n", "g");
    EXPECT_EQ(property(store.get(), "fetch.wait.max.ms"), "100");
    EXPECT_EQ(property(store.get(), "session.timeout.ms"), "10000");
    EXPECT_EQ(property(store.get(), "heartbeat.interval.ms"), "3000");
    EXPECT_EQ(property(store.get(), "enable.auto.commit"), "false");
    s.store_session_timeout = 6s;  // heartbeats at most a third of the session
    store = make_conf(s, Role::store, "n", "g");
    EXPECT_EQ(property(store.get(), "heartbeat.interval.ms"), "2000");
}

TEST(KafkaSettings, RequestsInFlightReachTheProducerOnly) {
    // The host refuses values outside the schema's bounds: idempotence allows 1..5.
    const auto keys = schema();
    const auto key = std::find_if(keys.begin(), keys.end(),
                                  [](const auto& k) { return k.name == "requests_in_flight"; });
    ASSERT_NE(key, keys.end());
    EXPECT_EQ(key->min, 1);
    EXPECT_EQ(key->max, 5);
    TestConfig config(schema(), "queue");
    config.set_string("brokers", "k1:9092");
    config.set_integer("requests_in_flight", 5);
    const Settings s = parse_settings(config);
    EXPECT_EQ(property(make_conf(s, Role::producer, "n", "").get(),
                       "max.in.flight.requests.per.connection"),
              "5");
    EXPECT_EQ(property(make_conf(s, Role::broadcast, "n", "g").get(),
                       "max.in.flight.requests.per.connection"),
              "1000000");  // librdkafka's default: a consumer has one fetch out per broker
}

}  // namespace
}  // namespace relay::plugins::kafka
