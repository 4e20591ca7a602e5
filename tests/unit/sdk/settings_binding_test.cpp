// SettingsBinding (relay/sdk/settings_binding.hpp): a schema whose defaults come from
// the Settings struct and whose bounds read() checks in the host's words.
#include <relay/sdk/settings_binding.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace relay::sdk {
namespace {

using namespace std::chrono_literals;

enum class Mode { fast, safe };

struct Example {
    std::size_t batch = 500;
    std::uint64_t buffer = 64ULL * 1024 * 1024;
    std::chrono::milliseconds wait{10000};
    std::chrono::milliseconds short_wait{250};
    bool enabled = true;
    double ratio = 0.25;
    std::string name = "relay";
    std::vector<std::string> hosts{"a:1", "b c"};
    Mode mode = Mode::safe;
    std::optional<std::string> password;
    int small = 7;
};

const SettingsBinding<Example>& binding() {
    static const auto bound =
        SettingsBinding<Example>()
            .add(config_key("batch", ValueType::integer, "").at_least(1), &Example::batch)
            .add(config_key("buffer", ValueType::size, "").at_least(1024), &Example::buffer)
            .add(config_key("wait", ValueType::duration, "").at_least(4s), &Example::wait)
            .add(config_key("short_wait", ValueType::duration, ""), &Example::short_wait)
            .add(config_key("enabled", ValueType::boolean, ""), &Example::enabled)
            .add(config_key("ratio", ValueType::number, ""), &Example::ratio)
            .add(config_key("name", ValueType::string, ""), &Example::name)
            .add(config_key("hosts", ValueType::string_list, ""), &Example::hosts)
            .add_choice(config_key("mode", ValueType::string, ""), &Example::mode,
                        {{"fast", Mode::fast}, {"safe", Mode::safe}})
            .add(config_key("password", ValueType::string, "").hidden(), &Example::password)
            .add(config_key("small", ValueType::integer, ""), &Example::small)
            .check([](const ConfigView& config, const Example& settings) {
                if (settings.name.empty()) config.fail("name", "expected a name");
            });
    return bound;
}

std::optional<std::string> default_of(std::string_view name) {
    for (const auto& key : binding().schema()) {
        if (key.name == name) return key.default_value;
    }
    throw std::logic_error("no key " + std::string(name));
}

TEST(SettingsBinding, DefaultsAreTheMembersWrittenInTheirLargestUnit) {
    EXPECT_EQ(default_of("batch"), "500");
    EXPECT_EQ(default_of("buffer"), "64MiB");
    EXPECT_EQ(default_of("wait"), "10s");
    EXPECT_EQ(default_of("short_wait"), "250ms");
    EXPECT_EQ(default_of("enabled"), "true");
    EXPECT_EQ(default_of("ratio"), "0.25");
    EXPECT_EQ(default_of("name"), "relay");
    EXPECT_EQ(default_of("hosts"), "[a:1, \"b c\"]");
    EXPECT_EQ(default_of("mode"), "safe");
    EXPECT_EQ(default_of("password"), std::nullopt);
}

TEST(SettingsBinding, TheDefaultsReadBackAsTheStruct) {
    // The schema's defaults, parsed as the host parses them, give Settings{} again.
    testing::TestConfig config(binding().schema());
    const Example read = binding().read(config);
    const Example made;
    EXPECT_EQ(read.batch, made.batch);
    EXPECT_EQ(read.buffer, made.buffer);
    EXPECT_EQ(read.wait, made.wait);
    EXPECT_EQ(read.short_wait, made.short_wait);
    EXPECT_EQ(read.enabled, made.enabled);
    EXPECT_EQ(read.ratio, made.ratio);
    EXPECT_EQ(read.hosts, made.hosts);
    EXPECT_EQ(read.mode, made.mode);
    EXPECT_EQ(read.password, std::nullopt);
}

TEST(SettingsBinding, SetValuesLandInTheirMembers) {
    testing::TestConfig config(binding().schema());
    config.set_text("batch", "12").set_text("wait", "1.5m").set_text("mode", "fast");
    config.set_string("password", "s3cret");
    const Example read = binding().read(config);
    EXPECT_EQ(read.batch, 12U);
    EXPECT_EQ(read.wait, 90s);
    EXPECT_EQ(read.mode, Mode::fast);
    EXPECT_EQ(read.password, "s3cret");
}

TEST(SettingsBinding, ReadRefusesWhatTheBoundsRefuseInTheHostsWords) {
    auto message = [](auto set) {
        testing::TestConfig config(binding().schema(), "queue");
        set(config);
        try {
            binding().read(config);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message([](auto& c) { c.set_integer("batch", 0); }),
              "test.yaml:1:1: queue.batch: expected a positive integer, got 0");
    EXPECT_EQ(message([](auto& c) { c.set_duration("wait", 1s); }),
              "test.yaml:1:1: queue.wait: expected a duration of at least 4s, got 1s");
    EXPECT_EQ(message([](auto& c) { c.set_size("buffer", 512); }),
              "test.yaml:1:1: queue.buffer: expected a size of at least 1024 bytes, got 512");
    EXPECT_EQ(message([](auto& c) { c.set_integer("small", 1LL << 40); }),
              "test.yaml:1:1: queue.small: expected an integer, got 1099511627776");
    EXPECT_EQ(message([](auto& c) { c.set_string("mode", "slow"); }),
              "test.yaml:1:1: queue.mode: expected one of fast, safe, got \"slow\"");
    EXPECT_EQ(message([](auto& c) { c.set_string("name", ""); }),
              "test.yaml:1:1: queue.name: expected a name");
}

TEST(SettingsBinding, AFallbackBesideTheMemberIsABug) {
    EXPECT_THROW(SettingsBinding<Example>().add(
                     config_key("batch", ValueType::integer, "").fallback("1"), &Example::batch),
                 std::logic_error);
}

}  // namespace
}  // namespace relay::sdk
