// The SDK's test helpers (relay/sdk/testing/test_context.hpp), included first so the
// header is checked to compile alone.
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace relay::sdk::testing {
namespace {

using namespace std::chrono_literals;

ConfigKey key(std::string name, ValueType type, std::optional<std::string> default_value) {
    ConfigKey k;
    k.name = std::move(name);
    k.type = type;
    k.default_value = std::move(default_value);
    return k;
}

Schema example_schema() {
    return {
        key("count", ValueType::integer, "12"),
        key("wait", ValueType::duration, "250ms"),
        key("long_wait", ValueType::duration, "2m"),
        key("buffer", ValueType::size, "64KiB"),
        key("hosts", ValueType::string_list, "[a:1, 'b:2']"),
        key("name", ValueType::string, "x y"),
        key("flag", ValueType::boolean, "true"),
        key("ratio", ValueType::number, "0.5"),
        key("listen", ValueType::endpoint, std::nullopt),
    };
}

TEST(SdkTestConfig, DefaultsAreParsedFromTheSchema) {
    TestConfig config(example_schema(), "queue");
    EXPECT_EQ(config.integer("count"), 12);
    EXPECT_EQ(config.duration("wait"), 250ms);
    EXPECT_EQ(config.duration("long_wait"), 2min);
    EXPECT_EQ(config.size("buffer"), 65536u);
    EXPECT_EQ(config.string_list("hosts"), (std::vector<std::string>{"a:1", "b:2"}));
    EXPECT_EQ(config.string("name"), "x y");
    EXPECT_TRUE(config.boolean("flag"));
    EXPECT_EQ(config.number("ratio"), 0.5);
    EXPECT_TRUE(config.has("count"));
    EXPECT_FALSE(config.is_set("count"));
    EXPECT_FALSE(config.has("listen"));
    EXPECT_EQ(config.where("count"), "test.yaml:1:1: queue.count");
}

TEST(SdkTestConfig, SettersOverrideAndUnsetRestoresTheDefault) {
    TestConfig config(example_schema());
    config.set_integer("count", 3).set_endpoint("listen", "127.0.0.1:0").set_text("wait", "1.5s");
    EXPECT_EQ(config.integer("count"), 3);
    EXPECT_TRUE(config.is_set("count"));
    EXPECT_EQ(config.endpoint("listen"), "127.0.0.1:0");
    EXPECT_EQ(config.duration("wait"), 1500ms);
    config.set_text("hosts", "[c, \"d, e\"]").set_text("name", "'quoted'");
    EXPECT_EQ(config.string_list("hosts"), (std::vector<std::string>{"c", "d, e"}));
    EXPECT_EQ(config.string("name"), "quoted");
    config.unset("count");
    EXPECT_EQ(config.integer("count"), 12);
}

TEST(SdkTestConfig, MisuseIsALogicError) {
    TestConfig config(example_schema());
    EXPECT_THROW(config.integer("nope"), std::logic_error);
    EXPECT_THROW(config.string("count"), std::logic_error);
    EXPECT_THROW(config.endpoint("listen"), std::logic_error);
    EXPECT_THROW(config.set_string("count", "x"), std::logic_error);
    EXPECT_THROW(config.set_integer("nope", 1), std::logic_error);
    Schema bad{key("wait", ValueType::duration, "soon")};
    EXPECT_THROW(TestConfig{bad}, std::logic_error);
    // The host's rules (relay/sdk/config_values.hpp), not laxer ones: YAML 1.2 reads
    // yes/on as text, and a duration needs its unit.
    EXPECT_THROW(config.set_text("flag", "yes"), std::logic_error);
    EXPECT_THROW(config.set_text("wait", "5"), std::logic_error);
    try {
        config.fail("count", "expected a positive integer, got 0");
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "test.yaml:1:1: plugin.count: expected a positive integer, got 0");
    }
}

TEST(SdkTestContext, RunsOneExecutorThreadAndRecordsLogsAndMetrics) {
    TestContext ctx;
    EXPECT_FALSE(ctx.on_executor());
    EXPECT_EQ(ctx.io_executors().size(), 1u);
    Probe<int> probe(ctx);
    boost::asio::post(ctx.executor(), [cb = probe.callback()] { cb(7); });
    ASSERT_TRUE(probe.wait());
    EXPECT_EQ(probe.get<0>(), 7);
    EXPECT_TRUE(probe.on_executor());
    EXPECT_EQ(probe.calls(), 1);

    Probe<int> off(ctx);
    off.callback()(1);
    EXPECT_FALSE(off.on_executor());

    ctx.log().info("not kept");
    ctx.log().warn("kept");
    EXPECT_TRUE(ctx.logger().contains("kept"));
    EXPECT_FALSE(ctx.logger().contains("not kept"));

    ctx.metrics().counter("hits", "").add(2);
    EXPECT_EQ(&ctx.metrics().counter("hits", ""), &ctx.metrics().counter("hits", ""));
    EXPECT_EQ(ctx.test_metrics().counter_value("hits"), 2u);
    EXPECT_FALSE(ctx.test_metrics().gauge_value("hits"));
    EXPECT_EQ(ctx.node_id(), "test-node");
}

TEST(SdkTestContext, SeveralIoThreadsTheFirstOfWhichIsThePluginsExecutor) {
    TestContext ctx({}, "processors[0]", "test-node", 3);
    ASSERT_EQ(ctx.io_executors().size(), 3u);
    EXPECT_FALSE(ctx.on_io_executor());
    for (std::size_t i = 0; i < 3; ++i) {
        Probe<bool, bool> where(ctx.io_executors()[i]);
        boost::asio::post(ctx.io_executors()[i], [&ctx, cb = where.callback()] {
            cb(ctx.on_executor(), ctx.on_io_executor());
        });
        ASSERT_TRUE(where.wait());
        EXPECT_EQ(where.get<0>(), i == 0) << "thread " << i;
        EXPECT_TRUE(where.get<1>()) << "thread " << i;
    }
}

TEST(SdkTestContext, UniqueTokensSortInCreationOrder) {
    const auto a = unique_token();
    const auto b = unique_token();
    EXPECT_EQ(a.size(), 24u);
    EXPECT_LT(a, b);
}

}  // namespace
}  // namespace relay::sdk::testing
