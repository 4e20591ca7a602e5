#include "config/value_parsing.hpp"

#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace relay::host {
namespace {

using sdk::ValueType;
using testing::bounded;
using testing::key;
using testing::one_of;
using namespace std::chrono_literals;

struct ValueCase {
    sdk::ConfigKey key;
    std::string text;
    std::string expected;  // the value printed by show(), or "error: <message>"
};

std::string show(const Value& value) {
    struct Printer {
        std::string operator()(const std::string& s) const { return "string " + s; }
        std::string operator()(std::int64_t i) const { return "integer " + std::to_string(i); }
        std::string operator()(double d) const { return "number " + std::to_string(d); }
        std::string operator()(bool b) const { return b ? "boolean true" : "boolean false"; }
        std::string operator()(std::chrono::milliseconds ms) const {
            return "duration " + std::to_string(ms.count()) + "ms";
        }
        std::string operator()(std::uint64_t bytes) const {
            return "size " + std::to_string(bytes);
        }
        std::string operator()(const std::vector<std::string>& list) const {
            std::string text = "list";
            for (const auto& item : list) text += " " + item;
            return text;
        }
    };
    return std::visit(Printer{}, value);
}

TEST(ValueParsing, Table) {
    const auto integer = key("n", ValueType::integer);
    const auto positive = bounded(key("n", ValueType::integer), 1);
    const auto non_negative = bounded(key("n", ValueType::integer), 0);
    const auto percent = bounded(key("n", ValueType::integer), 1, 100);
    const auto at_least_5 = bounded(key("n", ValueType::integer), 5);
    const auto at_most_9 = bounded(key("n", ValueType::integer), std::nullopt, 9);
    const auto number = key("x", ValueType::number);
    const auto ratio = bounded(key("x", ValueType::number), 0, 1);
    const auto boolean = key("b", ValueType::boolean);
    const auto duration = key("d", ValueType::duration);
    const auto size = key("s", ValueType::size);
    const auto big_size = bounded(key("s", ValueType::size), 1024, 1048576);
    const auto endpoint = key("e", ValueType::endpoint);
    const auto string = key("t", ValueType::string);
    const auto level = one_of(key("l", ValueType::string), {"off", "normal", "full"});
    const auto list = key("l", ValueType::string_list);
    auto secret = key("p", ValueType::integer);
    secret.secret = true;

    const std::vector<ValueCase> cases = {
        {integer, "12", "integer 12"},
        {integer, "-3", "integer -3"},
        {integer, "+7", "integer 7"},
        {integer, "x", "error: expected an integer, got \"x\""},
        {integer, "1.5", "error: expected an integer, got \"1.5\""},
        {integer, "", "error: expected an integer, got \"\""},
        {integer, "-", "error: expected an integer, got \"-\""},
        {integer, "0x10", "error: expected an integer, got \"0x10\""},
        {integer, "99999999999999999999",
         "error: expected an integer, got \"99999999999999999999\""},
        {positive, "1", "integer 1"},
        {positive, "twelve", "error: expected a positive integer, got \"twelve\""},
        {positive, "0", "error: expected a positive integer, got \"0\""},
        {non_negative, "0", "integer 0"},
        {non_negative, "-3", "error: expected a non-negative integer, got \"-3\""},
        {percent, "100", "integer 100"},
        {percent, "500", "error: expected an integer from 1 to 100, got \"500\""},
        {percent, "0", "error: expected an integer from 1 to 100, got \"0\""},
        {at_least_5, "3", "error: expected an integer of at least 5, got \"3\""},
        {at_most_9, "10", "error: expected an integer of at most 9, got \"10\""},
        {number, "0.25", "number 0.250000"},
        {number, "-2", "number -2.000000"},
        {number, "1e3", "number 1000.000000"},
        {number, "inf", "error: expected a number, got \"inf\""},
        {number, "nan", "error: expected a number, got \"nan\""},
        {number, "1,5", "error: expected a number, got \"1,5\""},
        {ratio, "1.5", "error: expected a number from 0 to 1, got \"1.5\""},
        {boolean, "true", "boolean true"},
        {boolean, "false", "boolean false"},
        {boolean, "maybe", "error: expected true or false, got \"maybe\""},
        {boolean, "yes", "error: expected true or false, got \"yes\""},
        {boolean, "True", "error: expected true or false, got \"True\""},
        {duration, "250ms", "duration 250ms"},
        {duration, "5s", "duration 5000ms"},
        {duration, "1.5s", "duration 1500ms"},
        {duration, "2m", "duration 120000ms"},
        {duration, "1h", "duration 3600000ms"},
        {duration, "0", "duration 0ms"},
        {duration, "0s", "duration 0ms"},
        {duration, "5", "error: expected a duration like 250ms or 5s, got \"5\""},
        {duration, "5 s", "error: expected a duration like 250ms or 5s, got \"5 s\""},
        {duration, "-1s", "error: expected a duration like 250ms or 5s, got \"-1s\""},
        {duration, "1.s", "error: expected a duration like 250ms or 5s, got \"1.s\""},
        {duration, "s", "error: expected a duration like 250ms or 5s, got \"s\""},
        {duration, "5d", "error: expected a duration like 250ms or 5s, got \"5d\""},
        {size, "65536", "size 65536"},
        {size, "64KiB", "size 65536"},
        {size, "1MiB", "size 1048576"},
        {size, "2GiB", "size 2147483648"},
        {size, "1MB", "size 1000000"},
        {size, "64KB", "size 64000"},
        {size, "3GB", "size 3000000000"},
        {size, "512B", "size 512"},
        {size, "lots", "error: expected a size like 65536 or 64KiB, got \"lots\""},
        {size, "1.5MiB", "error: expected a size like 65536 or 64KiB, got \"1.5MiB\""},
        {size, "64kib", "error: expected a size like 65536 or 64KiB, got \"64kib\""},
        {size, "-1", "error: expected a size like 65536 or 64KiB, got \"-1\""},
        {size, "99999999999TiB",
         "error: expected a size like 65536 or 64KiB, got \"99999999999TiB\""},
        {big_size, "1KiB", "size 1024"},
        {big_size, "12", "error: expected a size from 1024 to 1048576 bytes, got \"12\""},
        {big_size, "2MiB", "error: expected a size from 1024 to 1048576 bytes, got \"2MiB\""},
        {endpoint, "0.0.0.0:3000", "string 0.0.0.0:3000"},
        {endpoint, "localhost:0", "string localhost:0"},
        {endpoint, "[::1]:80", "string [::1]:80"},
        {endpoint, "localhost:65535", "string localhost:65535"},
        {endpoint, "localhost", "error: expected host:port, got \"localhost\""},
        {endpoint, "localhost:65536", "error: expected host:port, got \"localhost:65536\""},
        {endpoint, ":80", "error: expected host:port, got \":80\""},
        {endpoint, "::1:80", "error: expected host:port, got \"::1:80\""},
        {endpoint, "[::1]", "error: expected host:port, got \"[::1]\""},
        {endpoint, "host:http", "error: expected host:port, got \"host:http\""},
        {string, "anything at all: yes", "string anything at all: yes"},
        {string, "", "string "},
        {level, "full", "string full"},
        {level, "fast", "error: expected one of off, normal, full, got \"fast\""},
        {level, "ful",
         "error: expected one of off, normal, full, got \"ful\"; did you mean 'full'?"},
        {list, "one", "list one"},
        {secret, "hunter2", "error: expected an integer, got a secret value (not shown)"},
        {integer, "a\"b\nc", "error: expected an integer, got \"a\\\"b\\nc\""},
    };
    for (const auto& c : cases) {
        const Parsed parsed = parse_scalar(c.key, c.text);
        const std::string got = parsed.ok() ? show(*parsed.value) : "error: " + parsed.error;
        EXPECT_EQ(got, c.expected)
            << "type " << static_cast<int>(c.key.type) << ", text \"" << c.text << "\"";
    }
}

TEST(ValueParsing, ExpectedGotNamesTheKind) {
    EXPECT_EQ(expected_got(key("t", ValueType::string), "a mapping"),
              "expected a string, got a mapping");
    EXPECT_EQ(expected_got(bounded(key("n", ValueType::integer), 1), "a sequence"),
              "expected a positive integer, got a sequence");
    EXPECT_EQ(expected_got(key("l", ValueType::string_list), "a mapping"),
              "expected a list of strings, got a mapping");
}

TEST(ValueParsing, EndpointSplitsHostAndPort) {
    const auto v4 = parse_endpoint("127.0.0.1:9100");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 9100);
    const auto v6 = parse_endpoint("[::1]:80");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 80);
}

TEST(ValueParsing, DurationsAndSizesStayInRange) {
    EXPECT_EQ(parse_duration("0.0004s"), 0ms);
    EXPECT_EQ(parse_duration("0.5ms"), 1ms);
    EXPECT_FALSE(parse_duration("99999999999999999999h"));
    EXPECT_EQ(parse_size("16EiB"), std::nullopt);
    EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
}

TEST(ValueParsing, ListDefaultsAreFlowSequencesOfScalars) {
    using sdk::values::parse_list;
    using List = std::vector<std::string>;
    EXPECT_EQ(parse_list("[]"), List{});
    EXPECT_EQ(parse_list(""), List{});
    EXPECT_EQ(parse_list("one"), List{"one"});
    EXPECT_EQ(parse_list("[polling, websocket]"), (List{"polling", "websocket"}));
    EXPECT_EQ(parse_list("[ 'a b' , \"c, d\",e ]"), (List{"a b", "c, d", "e"}));
    for (const char* bad : {"[a,]", "[a", "[[a]]", "[a, {b: c}]", "['a]", "[a b' c]"}) {
        EXPECT_EQ(parse_list(bad), std::nullopt) << bad;
    }
}

TEST(ValueParsing, DefaultsParseLikeUserInput) {
    auto list = key("l", ValueType::string_list);
    list.default_value = "[a, b]";
    ASSERT_TRUE(parse_default(list).ok());
    EXPECT_EQ(show(*parse_default(list).value), "list a b");
    list.default_value = "[a,";
    EXPECT_EQ(parse_default(list).error, "expected a list of strings, got \"[a,\"");
    auto mode = one_of(key("mode", ValueType::string), {"normal", "full"});
    mode.default_value = "ful";
    EXPECT_EQ(parse_default(mode).error,
              "expected one of normal, full, got \"ful\"; did you mean 'full'?");
}

}  // namespace
}  // namespace relay::host
