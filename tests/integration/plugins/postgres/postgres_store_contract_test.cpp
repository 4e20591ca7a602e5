// The store contract suite (sdk/include/relay/sdk/testing/store_contract.hpp) on the
// postgres store, against a real server: one fresh database per test.
#include <relay/sdk/testing/store_contract.hpp>

#include "postgres_test_support.hpp"

namespace relay::plugins::postgres::testing {

struct PostgresStoreTraits {
    static sdk::Schema schema() { return postgres::schema(); }
    static std::unique_ptr<sdk::Store> make(sdk::PluginContext& ctx) {
        return std::make_unique<PostgresStore>(parse_settings(ctx.config()), ctx);
    }
    static void set_up(TestConfig& config) {
        auto& server = shared_server();
        config.set_string("dsn", server.dsn(fresh_database(server)));
        quick_retries(config);
    }
    static void tear_down(TestConfig& config) {
        const std::string dsn = config.string("dsn");
        shared_server().drop_database(dsn.substr(dsn.rfind("dbname=") + 7));
    }
};

}  // namespace relay::plugins::postgres::testing

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(
    Postgres, StoreContract,
    ::testing::Types<relay::plugins::postgres::testing::PostgresStoreTraits>);
}  // namespace relay::sdk::testing
