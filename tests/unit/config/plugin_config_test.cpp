#include "config/plugin_config.hpp"

#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>

namespace relay::host {
namespace {

using sdk::ValueType;
using testing::key;
using namespace std::chrono_literals;

// A config as the loader builds it for
//   queue: { use: kafka, brokers: "a:9092,b:9092", partitions: 3 }   (on line 4)
PluginConfig make_config() {
    PluginConfig config("queue", Location{"pipeline.yaml", 4, 8});
    config.declare(key("brokers", ValueType::string), std::nullopt);
    config.declare(key("topic", ValueType::string), Value(std::string("chats")));
    config.declare(key("partitions", ValueType::integer), Value(std::int64_t{12}));
    config.declare(key("ratio", ValueType::number), Value(0.5));
    config.declare(key("idempotent", ValueType::boolean), Value(true));
    config.declare(key("linger", ValueType::duration), Value(5ms));
    config.declare(key("max_batch", ValueType::size), Value(std::uint64_t{1} << 20));
    config.declare(key("tags", ValueType::string_list), Value(std::vector<std::string>{"a", "b"}));
    config.declare(key("admin", ValueType::endpoint), Value(std::string("127.0.0.1:9100")));
    config.declare(key("client_id", ValueType::string), std::nullopt);
    config.set("brokers", Value(std::string("a:9092,b:9092")), Location{"pipeline.yaml", 4, 30});
    config.set("partitions", Value(std::int64_t{3}), Location{"pipeline.yaml", 4, 59});
    return config;
}

TEST(PluginConfig, ReadsSetAndDefaultedValues) {
    const PluginConfig config = make_config();
    EXPECT_EQ(config.string("brokers"), "a:9092,b:9092");
    EXPECT_EQ(config.string("topic"), "chats");
    EXPECT_EQ(config.integer("partitions"), 3);
    EXPECT_DOUBLE_EQ(config.number("ratio"), 0.5);
    EXPECT_TRUE(config.boolean("idempotent"));
    EXPECT_EQ(config.duration("linger"), 5ms);
    EXPECT_EQ(config.size("max_batch"), 1048576U);
    EXPECT_EQ(config.string_list("tags"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(config.endpoint("admin"), "127.0.0.1:9100");
}

TEST(PluginConfig, HasAndIsSet) {
    const PluginConfig config = make_config();
    EXPECT_TRUE(config.has("brokers"));
    EXPECT_TRUE(config.is_set("brokers"));
    EXPECT_TRUE(config.has("topic"));
    EXPECT_FALSE(config.is_set("topic"));
    EXPECT_FALSE(config.has("client_id"));
    EXPECT_FALSE(config.is_set("client_id"));
    EXPECT_FALSE(config.has("nope"));
    EXPECT_FALSE(config.is_set("nope"));
}

TEST(PluginConfig, WhereNamesTheKeyOrItsSection) {
    const PluginConfig config = make_config();
    EXPECT_EQ(config.where("partitions"), "pipeline.yaml:4:59: queue.partitions");
    EXPECT_EQ(config.where("topic"), "pipeline.yaml:4:8: queue.topic");
    EXPECT_EQ(config.location("brokers")->column, 30);
    EXPECT_EQ(config.location("topic")->column, 8);
    EXPECT_FALSE(config.location("nope"));
}

TEST(PluginConfig, FailThrowsALocatedConfigError) {
    const PluginConfig config = make_config();
    try {
        config.fail("partitions", "expected at most 2 with one broker");
        FAIL() << "fail() returned";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "pipeline.yaml:4:59: queue.partitions: expected at most 2 with one broker");
    }
}

TEST(PluginConfig, PluginBugsThrowLogicError) {
    const PluginConfig config = make_config();
    EXPECT_THROW(config.string("nope"), std::logic_error);
    EXPECT_THROW(config.where("nope"), std::logic_error);
    EXPECT_THROW(config.integer("topic"), std::logic_error);
    EXPECT_THROW(config.string("admin"), std::logic_error);  // an endpoint: endpoint()
    EXPECT_THROW(config.size("partitions"), std::logic_error);
    EXPECT_THROW(config.string("client_id"), std::logic_error);  // no value
    try {
        config.integer("topic");
    } catch (const std::logic_error& e) {
        EXPECT_STREQ(e.what(), "PluginConfig: 'queue.topic' is a string, read as integer");
    }
}

TEST(PluginConfig, RejectsValuesOfTheWrongType) {
    PluginConfig config("queue", Location{"p.yaml", 1, 1});
    config.declare(key("n", ValueType::integer), std::nullopt);
    EXPECT_THROW(config.set("n", Value(std::string("3")), Location{"p.yaml", 2, 3}),
                 std::logic_error);
    EXPECT_THROW(config.set("m", Value(std::int64_t{3}), Location{"p.yaml", 2, 3}),
                 std::logic_error);
    EXPECT_THROW(config.declare(key("d", ValueType::duration), Value(std::int64_t{3})),
                 std::logic_error);
}

}  // namespace
}  // namespace relay::host
