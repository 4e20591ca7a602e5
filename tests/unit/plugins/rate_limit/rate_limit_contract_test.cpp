// The rate_limit processor against the SDK's processor contract.
#include <relay/sdk/testing/processor_contract.hpp>

#include "plugins/rate_limit/rate_limiter.hpp"
#include "plugins/rate_limit/settings.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace relay::plugins::rate_limit {

struct RateLimitTraits {
    static sdk::Schema schema() { return rate_limit::schema(); }
    static std::unique_ptr<sdk::Processor> make(sdk::PluginContext& ctx) {
        return std::make_unique<RateLimiter>(parse_settings(ctx.config()), ctx.metrics());
    }
    // Every kind of bucket on, so that each is asked from every I/O thread at once.
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_string("per_user", "50/s").set_string("per_address", "100/s");
    }
};

}  // namespace relay::plugins::rate_limit

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(RateLimit, ProcessorContract,
                               ::testing::Types<relay::plugins::rate_limit::RateLimitTraits>);
}  // namespace relay::sdk::testing
