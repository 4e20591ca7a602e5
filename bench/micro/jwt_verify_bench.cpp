// The jwt authenticator's cost per handshake: one authenticate() (token taken from the
// auth object, header decoded, signature verified, claims checked, identity built), as
// the host calls it on every Socket.IO CONNECT and refresh. RS256 with a 2048-bit key,
// ES256 (P-256) and HS256, each with a typical token (a name and two room grants).
#include "plugins/jwt/jwt_authenticator.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/plugins/jwt/test_tokens.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace {

namespace jwt = relay::plugins::jwt;
namespace sdk = relay::sdk;
using jwt::testing::TestKey;

void run(benchmark::State& state, const char* alg, const TestKey& key) {
    const relay::testing::TempDir dir("relay-jwt-bench");
    jwt::Settings settings;
    if (key.type() == "HMAC") {
        settings.keys.secret = key.secret();
    } else {
        settings.keys.public_keys = {jwt::testing::write_file(dir / "key.pem", key.public_pem())};
    }
    sdk::testing::TestLogger log(sdk::LogLevel::warn);
    sdk::testing::TestMetrics metrics;
    jwt::JwtAuthenticator authenticator(settings, log, metrics);
    const nlohmann::json claims = {
        {"sub", "user-1234"},
        {"name", "Ada Lovelace"},
        {"exp", jwt::testing::epoch_seconds(std::chrono::hours(1))},
        {"rooms", {{"lobby", {"join", "history"}}, {"team-42/*", {"join", "publish", "history"}}}}};
    sdk::Handshake handshake;
    handshake.auth_json =
        nlohmann::json{{"token", jwt::testing::sign_token(alg, key, claims)}}.dump();
    bool allowed = false;
    for (auto _ : state) {
        authenticator.authenticate(
            handshake, [&](const sdk::AuthOutcome& outcome) { allowed = outcome.allowed; });
        benchmark::DoNotOptimize(allowed);
    }
    if (!allowed) state.SkipWithError("the token was refused");
    state.SetItemsProcessed(state.iterations());
}

void BM_JwtVerifyRS256(benchmark::State& state) {
    static const TestKey key = TestKey::rsa(2048);
    run(state, "RS256", key);
}

void BM_JwtVerifyES256(benchmark::State& state) {
    static const TestKey key = TestKey::ec_p256();
    run(state, "ES256", key);
}

void BM_JwtVerifyHS256(benchmark::State& state) {
    static const TestKey key = TestKey::hmac("a benchmark secret of at least 32 bytes");
    run(state, "HS256", key);
}

}  // namespace

BENCHMARK(BM_JwtVerifyRS256);
BENCHMARK(BM_JwtVerifyES256);
BENCHMARK(BM_JwtVerifyHS256);
