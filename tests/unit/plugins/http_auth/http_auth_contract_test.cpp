// The SDK's authenticator contract, run against the http plugin and a real HTTP server
// on loopback that plays a token-checking auth service.
#include "auth_server.hpp"
#include "plugins/http_auth/http_authenticator.hpp"
#include "plugins/http_auth/settings.hpp"

#include <relay/sdk/testing/auth_contract.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace relay::plugins::http_auth {
namespace {

using nlohmann::json;

constexpr const char* kGoodToken = "contract-token-that-the-service-accepts";

/// Allows `auth.token == kGoodToken` into the room asked for; refuses anything else
/// with a 403 that does not repeat the token.
testing::Reply decide(const testing::Received& got) {
    const auto body = json::parse(got.body, nullptr, /*allow_exceptions=*/false);
    const auto auth = body.is_object() ? body.value("auth", json::object()) : json::object();
    if (auth.is_object() && auth.value("token", "") == kGoodToken) {
        json rooms = json::object();
        rooms[body.value("room", "")] = json::array({"join", "publish"});
        return {200, json{{"user", "contract-user"}, {"rooms", rooms}}.dump()};
    }
    return {403, R"({"reason": "invalid token"})"};
}

struct HttpAuthTraits {
    static sdk::Schema schema() { return binding().schema(); }
    static std::unique_ptr<sdk::Authenticator> make(sdk::PluginContext& ctx) {
        return std::make_unique<HttpAuthenticator>(binding().read(ctx.config()), ctx);
    }
    static sdk::Handshake allowed() {
        sdk::Handshake h;
        h.auth_json = json{{"token", kGoodToken}}.dump();
        h.room = "general";
        h.remote_address = "127.0.0.1";
        return h;
    }
    static sdk::Handshake refused() {
        sdk::Handshake h = allowed();
        h.auth_json = R"({"token": "a-forged-token-the-service-rejects"})";
        h.headers = {{"authorization", "Bearer a-forged-token-the-service-rejects"}};
        return h;
    }
    // One server per test, started before the authenticator and stopped after it.
    static void set_up(sdk::testing::TestConfig& config) {
        server() = std::make_unique<testing::AuthServer>(decide);
        config.set_string("url", server()->url());
        // The contract sends 100 handshakes at once and expects each decided; the
        // default max_in_flight (64) would refuse the rest "auth service busy", which
        // the busy test of http_authenticator_test.cpp covers.
        config.set_integer("max_in_flight", 128);
    }
    static void tear_down(sdk::testing::TestConfig& /*config*/) { server().reset(); }

private:
    static std::unique_ptr<testing::AuthServer>& server() {
        static std::unique_ptr<testing::AuthServer> running;
        return running;
    }
};

}  // namespace
}  // namespace relay::plugins::http_auth

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Http, AuthContract,
                               ::testing::Types<relay::plugins::http_auth::HttpAuthTraits>);
}  // namespace relay::sdk::testing
