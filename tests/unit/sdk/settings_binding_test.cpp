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

// A struct several plugins share, with a binding of its own, included by two plugins.
struct Link {
    std::string host = "localhost";
    std::chrono::milliseconds timeout{2000};
};

const SettingsBinding<Link>& link_binding() {
    static const auto bound =
        SettingsBinding<Link>()
            .add(config_key("host", ValueType::string, "server"), &Link::host)
            .add(config_key("timeout", ValueType::duration, "").at_least(1ms), &Link::timeout)
            .check([](const ConfigView& config, const Link& link) {
                if (link.host == "nowhere") config.fail("host", "expected a reachable host");
            })
            .check_problems([](const ConfigView& config) {
                std::vector<KeyProblem> problems;
                if (config.string("host").find(' ') != std::string::npos) {
                    problems.push_back({"host", "expected a host name without spaces"});
                }
                return problems;
            });
    return bound;
}

struct Plugin {
    std::size_t batch = 10;
    Link link;
    bool verbose = false;
};

const SettingsBinding<Plugin>& plugin_binding() {
    static const auto bound =
        SettingsBinding<Plugin>()
            .add(config_key("batch", ValueType::integer, "").at_least(1), &Plugin::batch)
            .include(link_binding(), &Plugin::link)
            .add(config_key("verbose", ValueType::boolean, ""), &Plugin::verbose)
            .check([](const ConfigView& config, const Plugin& plugin) {
                if (plugin.verbose && plugin.link.host == "quiet") {
                    config.fail("verbose", "expected false for host quiet");
                }
            })
            .check_problems([](const ConfigView& config) {
                std::vector<KeyProblem> problems;
                if (config.integer("batch") > 100 && !config.boolean("verbose")) {
                    problems.push_back({"batch", "expected at most 100 unless verbose"});
                }
                return problems;
            });
    return bound;
}

TEST(SettingsBinding, AnIncludedPartsKeysStandWhereItIsIncludedWithItsDefaults) {
    const auto& schema = plugin_binding().schema();
    ASSERT_EQ(schema.size(), 4U);
    EXPECT_EQ(schema[0].name, "batch");
    EXPECT_EQ(schema[1].name, "host");
    EXPECT_EQ(schema[1].default_value, "localhost");
    EXPECT_EQ(schema[1].description, "server");
    EXPECT_EQ(schema[2].name, "timeout");
    EXPECT_EQ(schema[2].default_value, "2s");
    EXPECT_EQ(schema[2].min, 1);
    EXPECT_EQ(schema[3].name, "verbose");
}

TEST(SettingsBinding, AnIncludedPartReadsIntoItsMember) {
    testing::TestConfig config(plugin_binding().schema());
    config.set_string("host", "cache.internal").set_duration("timeout", 250ms);
    config.set_integer("batch", 3);
    const Plugin read = plugin_binding().read(config);
    EXPECT_EQ(read.batch, 3U);
    EXPECT_EQ(read.link.host, "cache.internal");
    EXPECT_EQ(read.link.timeout, 250ms);
    EXPECT_FALSE(read.verbose);

    testing::TestConfig defaults(plugin_binding().schema());
    EXPECT_EQ(plugin_binding().read(defaults).link.timeout, Link{}.timeout);
}

TEST(SettingsBinding, AnIncludedPartsBoundsAndChecksFailAtItsKey) {
    auto message = [](auto set) {
        testing::TestConfig config(plugin_binding().schema(), "queue");
        set(config);
        try {
            plugin_binding().read(config);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message([](auto& c) { c.set_duration("timeout", 0ms); }),
              "test.yaml:1:1: queue.timeout: expected a duration of at least 1ms, got 0");
    EXPECT_EQ(message([](auto& c) { c.set_string("host", "nowhere"); }),
              "test.yaml:1:1: queue.host: expected a reachable host");
    // The including binding's checks see the part's member.
    EXPECT_EQ(message([](auto& c) { c.set_string("host", "quiet").set_boolean("verbose", true); }),
              "test.yaml:1:1: queue.verbose: expected false for host quiet");
}

TEST(SettingsBinding, ProblemsGathersThePartsAndThePluginsForRelayCheck) {
    testing::TestConfig config(plugin_binding().schema(), "queue");
    config.set_string("host", "a b").set_integer("batch", 500);
    const auto problems = plugin_binding().problems(config);
    ASSERT_EQ(problems.size(), 2U);
    EXPECT_EQ(problems[0].key, "host");
    EXPECT_EQ(problems[0].message, "expected a host name without spaces");
    EXPECT_EQ(problems[1].key, "batch");
    // read() fails at the first, in the host's words.
    try {
        plugin_binding().read(config);
        ADD_FAILURE() << "read() accepted a config with problems";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "test.yaml:1:1: queue.host: expected a host name without spaces");
    }
    testing::TestConfig fine(plugin_binding().schema());
    EXPECT_TRUE(plugin_binding().problems(fine).empty());
}

TEST(SettingsBinding, AKeyBoundTwiceIsABug) {
    struct Twice {
        std::string host;
        Link link;
    };
    EXPECT_THROW(SettingsBinding<Twice>()
                     .add(config_key("host", ValueType::string, ""), &Twice::host)
                     .include(link_binding(), &Twice::link),
                 std::logic_error);
}

}  // namespace
}  // namespace relay::sdk
