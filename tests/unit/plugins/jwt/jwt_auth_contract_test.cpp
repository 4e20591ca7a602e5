// The SDK's authenticator contract, run against the jwt plugin: an ES256 token granting
// the room it asks for is allowed; one signed by a key relay does not trust, sent both
// in the auth object and as a bearer header, is refused without being echoed.
#include <relay/sdk/testing/auth_contract.hpp>

#include "plugins/jwt/jwt_authenticator.hpp"
#include "plugins/jwt/settings.hpp"
#include "support/temp_dir.hpp"
#include "unit/plugins/jwt/test_tokens.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace relay::plugins::jwt {

/// One trusted key written to a PEM file, and a token signed by it and one by a
/// stranger, for the whole run (keys are slow to make, the tokens last a day).
struct ContractKeys {
    relay::testing::TempDir dir{"relay-jwt-contract"};
    testing::TestKey trusted = testing::TestKey::ec_p256();
    testing::TestKey stranger = testing::TestKey::ec_p256();
    std::string pem = testing::write_file(dir / "trusted.pem", trusted.public_pem());

    static std::string token_of(const testing::TestKey& key) {
        return testing::sign_token("ES256", key,
                                   {{"sub", "contract-user"},
                                    {"exp", testing::epoch_seconds(std::chrono::hours(24))},
                                    {"rooms", {{"lobby", {"join", "publish"}}}}});
    }
    std::string allowed = token_of(trusted);
    std::string refused = token_of(stranger);

    static const ContractKeys& get() {
        static const ContractKeys keys;
        return keys;
    }
};

struct JwtAuthTraits {
    static sdk::Schema schema() { return jwt::schema(); }
    static std::unique_ptr<sdk::Authenticator> make(sdk::PluginContext& ctx) {
        return std::make_unique<JwtAuthenticator>(parse_settings(ctx.config()), ctx.log(),
                                                  ctx.metrics());
    }
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_string_list("algorithms", {"ES256"});
        config.set_string_list("public_keys", {ContractKeys::get().pem});
    }
    static sdk::Handshake allowed() { return presenting(ContractKeys::get().allowed); }
    static sdk::Handshake refused() {
        sdk::Handshake handshake = presenting(ContractKeys::get().refused);
        handshake.headers = {{"authorization", "Bearer " + ContractKeys::get().refused}};
        return handshake;
    }

private:
    static sdk::Handshake presenting(const std::string& token) {
        sdk::Handshake handshake;
        handshake.auth_json = nlohmann::json{{"token", token}}.dump();
        handshake.room = "lobby";
        handshake.remote_address = "127.0.0.1";
        return handshake;
    }
};

}  // namespace relay::plugins::jwt

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Jwt, AuthContract,
                               ::testing::Types<relay::plugins::jwt::JwtAuthTraits>);
}  // namespace relay::sdk::testing
