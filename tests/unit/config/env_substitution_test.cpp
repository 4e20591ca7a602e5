#include "config/env_substitution.hpp"

#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace relay::host {
namespace {

struct EnvCase {
    std::string text;
    std::string expected;  // the text, or "error: <message>"
};

TEST(EnvSubstitution, Table) {
    const EnvLookup env = testing::fake_env({{"HOST", "kafka-1"}, {"PORT", "9092"}, {"EMPTY", ""}});
    const std::vector<EnvCase> cases = {
        {"plain", "plain"},
        {"", ""},
        {"${HOST}", "kafka-1"},
        {"${HOST}:${PORT}", "kafka-1:9092"},
        {"tcp://${HOST}:${PORT}/x", "tcp://kafka-1:9092/x"},
        {"${MISSING:-localhost}:9092", "localhost:9092"},
        {"${HOST:-localhost}", "kafka-1"},
        {"${EMPTY:-fallback}", "fallback"},
        {"${EMPTY}", ""},
        {"${MISSING:-}", ""},
        {"${MISSING:-a:-b}", "a:-b"},
        {"$$", "$"},
        {"$${HOST}", "${HOST}"},
        {"cost: 5$", "cost: 5$"},
        {"$HOST", "$HOST"},
        {"a$b", "a$b"},
        {"${MISSING}", "error: environment variable MISSING is not set"},
        {"x ${HOST} ${MISSING}", "error: environment variable MISSING is not set"},
        {"${HOST", "error: expected '}' to close '${'"},
        {"${}", "error: expected an environment variable name in '${...}', got \"\""},
        {"${1X}", "error: expected an environment variable name in '${...}', got \"1X\""},
        {"${A B}", "error: expected an environment variable name in '${...}', got \"A B\""},
    };
    for (const auto& c : cases) {
        const Substituted result = substitute_env(c.text, env);
        const std::string got = result.error ? "error: " + *result.error : result.text;
        EXPECT_EQ(got, c.expected) << c.text;
    }
}

TEST(EnvSubstitution, ReadsTheProcessEnvironment) {
    ::setenv("RELAY_ENV_SUBSTITUTION_TEST", "from-process", 1);
    EXPECT_EQ(process_env("RELAY_ENV_SUBSTITUTION_TEST"), "from-process");
    EXPECT_EQ(substitute_env("${RELAY_ENV_SUBSTITUTION_TEST}", process_env).text, "from-process");
    ::unsetenv("RELAY_ENV_SUBSTITUTION_TEST");
    EXPECT_EQ(process_env("RELAY_ENV_SUBSTITUTION_TEST"), std::nullopt);
}

}  // namespace
}  // namespace relay::host
