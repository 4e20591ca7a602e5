// A string default written as YAML text (`fallback("\"***\"")`) means the same in relay
// and in the SDK's TestConfig: the string ***, as the same text in a pipeline file.
#include "config/value_parsing.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/config_values.hpp>
#include <relay/sdk/settings_binding.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <string>

namespace relay::sdk {
namespace {

std::string host_default(const ConfigKey& key) {
    const auto parsed = host::parse_default(key);
    EXPECT_TRUE(parsed.ok()) << parsed.error;
    return parsed.ok() ? std::get<std::string>(*parsed.value) : parsed.error;
}

TEST(StringDefault, QuotedAsYamlMeansTheSameInRelayAndInTheTestKit) {
    const Schema schema = {
        config_key("mask", ValueType::string, "what replaces a word").fallback("\"***\""),
        config_key("single", ValueType::string, "").fallback("'it''s'"),
        config_key("plain", ValueType::string, "").fallback("***"),
        config_key("escaped", ValueType::string, "").fallback(R"("a \"b\"\t\u00e9")"),
        config_key("spaced", ValueType::string, "").fallback("\"  padded  \""),
    };
    testing::TestConfig config(schema, "processors[0]");
    const std::map<std::string, std::string> expected = {
        {"mask", "***"},           {"single", "it's"},       {"plain", "***"},
        {"escaped", "a \"b\"\té"}, {"spaced", "  padded  "},
    };
    for (const auto& key : schema) {
        EXPECT_EQ(host_default(key), expected.at(key.name)) << key.name << " in relay";
        EXPECT_EQ(config.string(key.name), expected.at(key.name)) << key.name << " in TestConfig";
    }
    // A value a test sets as text reads the same way.
    config.set_text("mask", "\"###\"");
    EXPECT_EQ(config.string("mask"), "###");
    config.set_text("mask", "'a ''b'''");
    EXPECT_EQ(config.string("mask"), "a 'b'");
}

TEST(StringDefault, ABrokenQuotedDefaultIsRefusedByBoth) {
    const auto key = config_key("mask", ValueType::string, "").fallback("\"***");
    const auto parsed = host::parse_default(key);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error, R"(expected one YAML scalar, got "\"***")");
    EXPECT_THROW(testing::TestConfig({key}), std::logic_error);
    for (const char* bad : {"\"a\" b", "'a", R"("\q")", R"("\u12")", R"("\ud800")"}) {
        EXPECT_EQ(values::yaml_scalar(bad), std::nullopt) << bad;
    }
}

TEST(StringDefault, ABoundMembersStringIsItsDefaultEvenWithQuotes) {
    struct Settings {
        std::string quoted = "\"q\"";
        std::string spaced = " s ";
        std::string plain = "p";
    };
    const auto binding = SettingsBinding<Settings>()
                             .add(config_key("quoted", ValueType::string, ""), &Settings::quoted)
                             .add(config_key("spaced", ValueType::string, ""), &Settings::spaced)
                             .add(config_key("plain", ValueType::string, ""), &Settings::plain);
    EXPECT_EQ(binding.schema()[2].default_value, "p");
    testing::TestConfig config(binding.schema());
    const Settings read = binding.read(config);
    EXPECT_EQ(read.quoted, "\"q\"");
    EXPECT_EQ(read.spaced, " s ");
    EXPECT_EQ(read.plain, "p");
    for (const auto& key : binding.schema()) {
        EXPECT_EQ(host_default(key), config.string(key.name)) << key.name;
    }
}

}  // namespace
}  // namespace relay::sdk
