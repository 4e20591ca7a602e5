// The jwt authenticator end to end over real signatures: tokens signed here (see
// test_tokens.hpp) with keys written to PEM and JWKS files, every algorithm, every
// refusal, algorithm confusion, kid selection, key rotation on reload, and concurrent
// callers.
#include "plugins/jwt/jwt_authenticator.hpp"
#include "plugins/jwt/refusal.hpp"
#include "support/temp_dir.hpp"
#include "unit/plugins/jwt/test_tokens.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace relay::plugins::jwt {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sdk::Permission;
using testing::epoch_seconds;
using testing::jwks_text;
using testing::sign_token;
using testing::TestKey;
using testing::write_file;

/// Keys are slow to make (RSA): one set for every test.
struct Keys {
    TestKey rsa = TestKey::rsa();
    TestKey rsa_next = TestKey::rsa();
    TestKey ec = TestKey::ec_p256();
    TestKey ec_next = TestKey::ec_p256();
    TestKey ed = TestKey::ed25519();
    TestKey hmac = TestKey::hmac("a shared secret of more than 32 bytes");
    TestKey hmac_other = TestKey::hmac("another shared secret, 32 bytes or more");
};

const Keys& keys() {
    static const Keys made;
    return made;
}

/// The claims of a typical token: expires in an hour, two grants.
json claims(std::chrono::seconds expires_in = 1h) {
    return {{"sub", "u-1"},
            {"name", "Ada"},
            {"exp", epoch_seconds(expires_in)},
            {"rooms",
             {{"lobby", {"join", "history"}},
              {"team-42/*", {"join", "publish", "history", "presence"}}}}};
}

class JwtAuthenticatorTest : public ::testing::Test {
protected:
    std::string file(const std::string& name, std::string_view text) {
        return write_file(dir_ / name, text);
    }

    /// Settings with the HMAC secret and a PEM file for each asymmetric key.
    Settings every_key() {
        Settings settings;
        settings.keys.secret = keys().hmac.secret();
        settings.keys.public_keys = {file("rsa.pem", keys().rsa.public_pem()),
                                     file("ec.pem", keys().ec.public_pem()),
                                     file("ed.pem", keys().ed.public_pem())};
        return settings;
    }

    JwtAuthenticator& make(Settings settings) {
        authenticator_ = std::make_unique<JwtAuthenticator>(std::move(settings), log_, metrics_);
        return *authenticator_;
    }

    sdk::AuthOutcome present(const std::string& token) {
        sdk::Handshake handshake;
        handshake.auth_json = json{{"token", token}}.dump();
        return present(handshake);
    }
    sdk::AuthOutcome present(const sdk::Handshake& handshake) {
        sdk::AuthOutcome outcome;
        int calls = 0;
        authenticator_->authenticate(handshake, [&](sdk::AuthOutcome answer) {
            ++calls;
            outcome = std::move(answer);
        });
        EXPECT_EQ(calls, 1);  // inline, exactly once
        return outcome;
    }
    /// The refusal reason for `token`; empty when it is allowed.
    std::string refusal_of(const std::string& token) {
        const auto outcome = present(token);
        if (outcome.allowed) return {};
        EXPECT_FALSE(outcome.reason.empty());
        EXPECT_EQ(outcome.reason.find(token), std::string::npos);
        return outcome.reason;
    }

    relay::testing::TempDir dir_{"relay-jwt"};
    sdk::testing::TestLogger log_{sdk::LogLevel::info};
    sdk::testing::TestMetrics metrics_;
    std::unique_ptr<JwtAuthenticator> authenticator_;
};

// ---- each algorithm -------------------------------------------------------------------

struct Signed {
    const char* alg;
    const TestKey& (*key)();

    friend void PrintTo(const Signed& signed_by, std::ostream* out) { *out << signed_by.alg; }
};

class JwtEachAlgorithmTest : public JwtAuthenticatorTest,
                             public ::testing::WithParamInterface<Signed> {};

TEST_P(JwtEachAlgorithmTest, AValidTokenYieldsItsIdentity) {
    make(every_key());
    const auto payload = claims();
    const auto outcome = present(sign_token(GetParam().alg, GetParam().key(), payload));
    ASSERT_TRUE(outcome.allowed) << outcome.reason;
    const sdk::Identity& identity = outcome.identity;
    EXPECT_EQ(identity.user_id, "u-1");
    EXPECT_EQ(identity.name, "Ada");
    EXPECT_EQ(identity.expires_at, std::chrono::system_clock::time_point(
                                       std::chrono::seconds(payload["exp"].get<std::int64_t>())) +
                                       5s);
    EXPECT_TRUE(identity.may(Permission::join, "lobby"));
    EXPECT_TRUE(identity.may(Permission::history, "lobby"));
    EXPECT_FALSE(identity.may(Permission::publish, "lobby"));
    EXPECT_EQ(identity.permissions_in("team-42/general"), sdk::kAllPermissions);
    EXPECT_EQ(identity.permissions_in("elsewhere"), sdk::kNoPermissions);
    EXPECT_EQ(metrics_.counter_value("jwt_auth_allowed_total"), 1U);
}

INSTANTIATE_TEST_SUITE_P(
    JwtAlgorithms, JwtEachAlgorithmTest,
    ::testing::Values(Signed{"HS256", []() -> const TestKey& { return keys().hmac; }},
                      Signed{"HS384", []() -> const TestKey& { return keys().hmac; }},
                      Signed{"HS512", []() -> const TestKey& { return keys().hmac; }},
                      Signed{"RS256", []() -> const TestKey& { return keys().rsa; }},
                      Signed{"ES256", []() -> const TestKey& { return keys().ec; }},
                      Signed{"EdDSA", []() -> const TestKey& { return keys().ed; }}),
    [](const ::testing::TestParamInfo<Signed>& info) { return std::string(info.param.alg); });

TEST_F(JwtAuthenticatorTest, ACertificateServesItsKey) {
    Settings settings;
    settings.keys.public_keys = {file("ec-cert.pem", keys().ec.certificate_pem()),
                                 file("ed-cert.pem", keys().ed.certificate_pem())};
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("ES256", keys().ec, claims())), "");
    EXPECT_EQ(refusal_of(sign_token("EdDSA", keys().ed, claims())), "");
}

TEST_F(JwtAuthenticatorTest, TheBearerHeaderCarriesATokenToo) {
    make(every_key());
    sdk::Handshake handshake;
    handshake.headers = {{"Authorization", "Bearer " + sign_token("HS256", keys().hmac, claims())}};
    EXPECT_TRUE(present(handshake).allowed);
}

TEST_F(JwtAuthenticatorTest, ASecretFileLosesItsTrailingNewline) {
    Settings settings;
    settings.keys.secret_file = file("secret", keys().hmac.secret() + "\n");
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims())), "");
}

// ---- refusals --------------------------------------------------------------------------

TEST_F(JwtAuthenticatorTest, WithoutATokenTheReasonIsTokenMissing) {
    make(every_key());
    EXPECT_EQ(present(sdk::Handshake{}).reason, refusal::kTokenMissing);
    EXPECT_EQ(metrics_.counter_value("jwt_auth_refused_total"), 1U);
    EXPECT_EQ(metrics_.counter_value("jwt_auth_allowed_total"), 0U);
}

TEST_F(JwtAuthenticatorTest, ATokenThatIsNoCompactJwsIsMalformed) {
    make(every_key());
    const std::string good = sign_token("HS256", keys().hmac, claims());
    const auto dot = good.find('.');
    for (const std::string& token : {
             std::string("not a token"), good.substr(0, good.rfind('.')),  // two parts
             good + ".more",                                               // four
             "!!!" + good.substr(dot),  // a header that is no base64url
             testing::base64url("not json") + good.substr(dot),
             testing::base64url(R"({"typ":"JWT"})") + good.substr(dot),  // no alg
             testing::base64url(R"({"alg":256})") + good.substr(dot),
             std::string(80000, 'a') + good,  // too long to read
         }) {
        EXPECT_EQ(refusal_of(token), refusal::kTokenMalformed) << token.substr(0, 100);
    }
    // A critical extension relay does not understand refuses the token, signed or not.
    EXPECT_EQ(
        refusal_of(sign_token("HS256", keys().hmac, claims(), {{"crit", {"exp"}}, {"exp", 1}})),
        refusal::kTokenMalformed);
}

TEST_F(JwtAuthenticatorTest, AlgNoneIsNeverAllowed) {
    make(every_key());
    const std::string unsigned_token = testing::base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                                       testing::base64url(claims().dump()) + ".";
    EXPECT_EQ(refusal_of(unsigned_token), refusal::kAlgorithmNotAllowed);
    const std::string shouting =
        testing::base64url(R"({"alg":"NONE"})") + "." + testing::base64url(claims().dump()) + ".";
    EXPECT_EQ(refusal_of(shouting), refusal::kAlgorithmNotAllowed);
}

TEST_F(JwtAuthenticatorTest, AnAlgorithmOutsideTheListIsNotAllowed) {
    Settings settings = every_key();
    settings.algorithms = {"RS256", "ES256"};
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims())),
              refusal::kAlgorithmNotAllowed);
    EXPECT_EQ(refusal_of(sign_token("EdDSA", keys().ed, claims())), refusal::kAlgorithmNotAllowed);
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims())), "");
    // Names are case-sensitive, and algorithms relay does not verify are not allowed.
    EXPECT_EQ(refusal_of(sign_token("rs256", keys().rsa, claims())), refusal::kAlgorithmNotAllowed);
    EXPECT_EQ(refusal_of(sign_token("PS256", keys().rsa, claims())), refusal::kAlgorithmNotAllowed);
}

TEST_F(JwtAuthenticatorTest, ATokenOfAFamilyWithoutKeysHasNoKey) {
    Settings settings;
    settings.keys.public_keys = {file("rsa.pem", keys().rsa.public_pem())};
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("ES256", keys().ec, claims())), refusal::kNoKeyForAlgorithm);
    EXPECT_EQ(refusal_of(sign_token("EdDSA", keys().ed, claims())), refusal::kNoKeyForAlgorithm);
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims())), refusal::kNoKeyForAlgorithm);
}

TEST_F(JwtAuthenticatorTest, AnyChangeToATokenBreaksItsSignature) {
    make(every_key());
    struct Case {
        const char* alg;
        const TestKey& key;
        const TestKey& other;  // of the same family, not configured
    };
    const TestKey unknown_ed = TestKey::ed25519();
    for (const Case& c :
         {Case{"HS256", keys().hmac, keys().hmac_other}, Case{"RS256", keys().rsa, keys().rsa_next},
          Case{"ES256", keys().ec, keys().ec_next}, Case{"EdDSA", keys().ed, unknown_ed}}) {
        SCOPED_TRACE(c.alg);
        const std::string token = sign_token(c.alg, c.key, claims());
        const auto first = token.find('.');
        const auto second = token.find('.', first + 1);
        // Another payload under the same header and signature: a user claiming more.
        json more = claims();
        more["rooms"] = {"*"};
        EXPECT_EQ(refusal_of(token.substr(0, first + 1) + testing::base64url(more.dump()) +
                             token.substr(second)),
                  refusal::kInvalidSignature);
        EXPECT_EQ(refusal_of(sign_token(c.alg, c.other, claims())), refusal::kInvalidSignature);
        // No signature, or a cut one.
        EXPECT_EQ(refusal_of(token.substr(0, second + 1)), refusal::kInvalidSignature);
        EXPECT_EQ(refusal_of(token.substr(0, token.size() - 4)), refusal::kInvalidSignature);
    }
}

TEST_F(JwtAuthenticatorTest, ClaimsAreCheckedAfterTheSignature) {
    Settings settings = every_key();
    settings.claims.issuer = "https://issuer.example";
    settings.claims.audience = "relay";
    make(std::move(settings));
    json payload = claims();
    payload["iss"] = "https://issuer.example";
    payload["aud"] = {"billing", "relay"};
    EXPECT_EQ(refusal_of(sign_token("ES256", keys().ec, payload)), "");

    const auto refused = [&](const json& changed) {
        return refusal_of(sign_token("ES256", keys().ec, changed));
    };
    json expired = payload;
    expired["exp"] = epoch_seconds(-10s);
    EXPECT_EQ(refused(expired), refusal::kTokenExpired);
    json early = payload;
    early["nbf"] = epoch_seconds(60s);
    EXPECT_EQ(refused(early), refusal::kTokenNotYetValid);
    json issuer = payload;
    issuer["iss"] = "https://evil.example";
    EXPECT_EQ(refused(issuer), refusal::kInvalidIssuer);
    json audience = payload;
    audience["aud"] = "billing";
    EXPECT_EQ(refused(audience), refusal::kInvalidAudience);
    json anonymous = payload;
    anonymous.erase("sub");
    EXPECT_EQ(refused(anonymous), refusal::kSubjectMissing);
    json rooms = payload;
    rooms["rooms"] = {{"lobby", {"join", "kick"}}};
    EXPECT_EQ(refused(rooms), refusal::kInvalidRoomsClaim);
    json forever = payload;
    forever.erase("exp");
    EXPECT_EQ(refused(forever), refusal::kTokenHasNoExpiry);
}

TEST_F(JwtAuthenticatorTest, LeewayAcceptsARecentlyExpiredToken) {
    make(every_key());  // leeway 5s
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims(-3s))), "");
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims(-10s))), refusal::kTokenExpired);
}

TEST_F(JwtAuthenticatorTest, WithoutRequireExpATokenNeverExpires) {
    Settings settings = every_key();
    settings.claims.require_exp = false;
    make(std::move(settings));
    json payload = claims();
    payload.erase("exp");
    const auto outcome = present(sign_token("HS256", keys().hmac, payload));
    ASSERT_TRUE(outcome.allowed) << outcome.reason;
    EXPECT_FALSE(outcome.identity.expires());
}

// ---- algorithm confusion ---------------------------------------------------------------

TEST_F(JwtAuthenticatorTest, AnHsTokenKeyedWithAPublicKeyPemIsRefused) {
    // The classic attack: the verifier's public key is public, so an attacker signs
    // HS256 with its PEM text as the secret, hoping the verifier feeds the same bytes
    // to HMAC. Keys here are used only with their own family.
    const std::string pem = keys().rsa.public_pem();
    const TestKey forged = TestKey::hmac(pem);
    json admin = claims();
    admin["rooms"] = {"*"};
    Settings only_rsa;
    only_rsa.keys.public_keys = {file("rsa.pem", pem)};
    make(std::move(only_rsa));  // default algorithms: HS256 is allowed
    EXPECT_EQ(refusal_of(sign_token("HS256", forged, admin)), refusal::kNoKeyForAlgorithm);
    EXPECT_EQ(refusal_of(sign_token("HS512", forged, admin)), refusal::kNoKeyForAlgorithm);

    // With a secret configured too, the forgery meets that secret, not the PEM.
    Settings both = every_key();
    make(std::move(both));
    EXPECT_EQ(refusal_of(sign_token("HS256", forged, admin)), refusal::kInvalidSignature);
    EXPECT_EQ(refusal_of(sign_token("HS256", TestKey::hmac(keys().ec.public_pem()), admin)),
              refusal::kInvalidSignature);
}

TEST_F(JwtAuthenticatorTest, AJwksPublicKeyNeverVerifiesAnHsToken) {
    const json rsa = keys().rsa.jwk("r1");
    Settings settings;
    settings.keys.jwks_file = file("jwks.json", jwks_text({rsa}));
    make(std::move(settings));
    // Whatever bytes of the public key an attacker tries as the secret.
    for (const std::string& secret :
         {keys().rsa.public_pem(), rsa.dump(), rsa["n"].get<std::string>()}) {
        EXPECT_EQ(refusal_of(sign_token("HS256", TestKey::hmac(secret), claims(), {{"kid", "r1"}})),
                  refusal::kNoKeyForAlgorithm);
    }
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "r1"}})), "");
}

TEST_F(JwtAuthenticatorTest, AJwksKeysAlgLimitsItToThatAlgorithm) {
    json oct = keys().hmac.jwk("h1");
    oct["alg"] = "HS512";
    Settings settings;
    settings.keys.jwks_file = file("jwks.json", jwks_text({oct}));
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("HS512", keys().hmac, claims(), {{"kid", "h1"}})), "");
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims(), {{"kid", "h1"}})),
              refusal::kNoKeyForAlgorithm);
}

// ---- key ids -----------------------------------------------------------------------------

TEST_F(JwtAuthenticatorTest, KidSelectsAmongTheJwksKeys) {
    Settings settings;
    settings.keys.jwks_file =
        file("jwks.json",
             jwks_text({keys().rsa.jwk("2024"), keys().rsa_next.jwk("2025"), keys().ec.jwk("ec-1"),
                        keys().ed.jwk("ed-1"), keys().hmac.jwk("shared")}));
    make(std::move(settings));
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "2024"}})), "");
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa_next, claims(), {{"kid", "2025"}})), "");
    EXPECT_EQ(refusal_of(sign_token("ES256", keys().ec, claims(), {{"kid", "ec-1"}})), "");
    EXPECT_EQ(refusal_of(sign_token("EdDSA", keys().ed, claims(), {{"kid", "ed-1"}})), "");
    EXPECT_EQ(refusal_of(sign_token("HS384", keys().hmac, claims(), {{"kid", "shared"}})), "");
    // The kid picks the key: another key of the set does not stand in for it.
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "2025"}})),
              refusal::kInvalidSignature);
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "2023"}})),
              refusal::kUnknownKeyId);
    // A kid of another family's key is no key for the algorithm.
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "ec-1"}})),
              refusal::kNoKeyForAlgorithm);
    // Without a kid, every key of the family is tried.
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa_next, claims())), "");
}

TEST_F(JwtAuthenticatorTest, WithoutAJwksAKidIsIgnored) {
    make(every_key());
    EXPECT_EQ(refusal_of(sign_token("RS256", keys().rsa, claims(), {{"kid", "whatever"}})), "");
}

// ---- reload ------------------------------------------------------------------------------

TEST_F(JwtAuthenticatorTest, ReloadRotatesToTheNewKeys) {
    Settings settings;
    const std::string pem = file("signing.pem", keys().ec.public_pem());
    settings.keys.public_keys = {pem};
    make(std::move(settings));
    const std::string old_token = sign_token("ES256", keys().ec, claims());
    const std::string new_token = sign_token("ES256", keys().ec_next, claims());
    EXPECT_EQ(refusal_of(old_token), "");
    EXPECT_EQ(refusal_of(new_token), refusal::kInvalidSignature);

    file("signing.pem", keys().ec_next.public_pem());
    authenticator_->reload();
    EXPECT_EQ(refusal_of(old_token), refusal::kInvalidSignature);
    EXPECT_EQ(refusal_of(new_token), "");
    EXPECT_TRUE(log_.contains("reloaded 1 keys"));
    EXPECT_EQ(metrics_.gauge_value("jwt_keys_loaded"), 1);
    EXPECT_EQ(metrics_.counter_value("jwt_reloads_failed_total"), 0U);
}

TEST_F(JwtAuthenticatorTest, ReloadRotatesAJwksByKid) {
    Settings settings;
    settings.keys.jwks_file = file("jwks.json", jwks_text({keys().rsa.jwk("old")}));
    make(std::move(settings));
    const std::string old_token = sign_token("RS256", keys().rsa, claims(), {{"kid", "old"}});
    const std::string new_token = sign_token("RS256", keys().rsa_next, claims(), {{"kid", "new"}});
    EXPECT_EQ(refusal_of(old_token), "");
    EXPECT_EQ(refusal_of(new_token), refusal::kUnknownKeyId);

    file("jwks.json", jwks_text({keys().rsa_next.jwk("new"), keys().ec.jwk("ec")}));
    authenticator_->reload();
    EXPECT_EQ(refusal_of(old_token), refusal::kUnknownKeyId);
    EXPECT_EQ(refusal_of(new_token), "");
    EXPECT_EQ(metrics_.gauge_value("jwt_keys_loaded"), 2);
}

TEST_F(JwtAuthenticatorTest, ABrokenFileOnReloadKeepsTheOldKeys) {
    Settings settings;
    settings.keys.secret_file = file("secret", keys().hmac.secret());
    const std::string pem = file("signing.pem", keys().ec.public_pem());
    settings.keys.public_keys = {pem};
    make(std::move(settings));
    const std::string token = sign_token("ES256", keys().ec, claims());

    // The new secret is fine, the PEM is cut short: nothing of the reload is taken.
    file("secret", keys().hmac_other.secret());
    file("signing.pem", keys().ec_next.public_pem().substr(0, 60));
    authenticator_->reload();
    EXPECT_EQ(refusal_of(token), "");
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac, claims())), "");
    EXPECT_EQ(refusal_of(sign_token("HS256", keys().hmac_other, claims())),
              refusal::kInvalidSignature);
    EXPECT_TRUE(log_.contains("reload kept the previous keys: public_keys: " + pem + ": "));
    EXPECT_EQ(metrics_.counter_value("jwt_reloads_failed_total"), 1U);
    EXPECT_EQ(metrics_.gauge_value("jwt_keys_loaded"), 2);

    std::filesystem::remove(pem);
    authenticator_->reload();
    EXPECT_TRUE(log_.contains(pem + ": cannot read: No such file or directory"));
    EXPECT_EQ(refusal_of(token), "");
    EXPECT_EQ(metrics_.counter_value("jwt_reloads_failed_total"), 2U);
}

TEST_F(JwtAuthenticatorTest, AStartWithAProblemThrowsNamingIt) {
    const auto start_error = [&](Settings settings) -> std::string {
        try {
            make(std::move(settings));
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "started";
    };
    Settings missing;
    const std::string path = (dir_ / "missing.pem").string();
    missing.keys.public_keys = {path};
    EXPECT_EQ(start_error(missing),
              "public_keys: " + path + ": cannot read: No such file or directory");
    Settings weak;
    weak.keys.secret = "short";
    EXPECT_EQ(start_error(weak),
              "secret: a secret of 5 bytes is too weak for HS256: use at least 32 random bytes");
}

// ---- threads -----------------------------------------------------------------------------

TEST_F(JwtAuthenticatorTest, FourThreadsAuthenticateAtOnceWhileKeysReload) {
    // Its own logger, quiet below warnings: a hundred reloads say "reloaded" each.
    sdk::testing::TestLogger quiet(sdk::LogLevel::warn);
    JwtAuthenticator authenticator(every_key(), quiet, metrics_);
    const std::vector<std::string> tokens = {
        sign_token("HS256", keys().hmac, claims()), sign_token("RS256", keys().rsa, claims()),
        sign_token("ES256", keys().ec, claims()), sign_token("EdDSA", keys().ed, claims())};
    std::atomic<int> allowed{0};
    std::atomic<bool> stop{false};
    std::thread reloader([&] {
        for (int i = 0; i < 100 && !stop.load(); ++i) authenticator.reload();
    });
    constexpr int kCalls = 400;
    sdk::testing::call_concurrently(4, kCalls, [&](int i) {
        sdk::Handshake handshake;
        handshake.auth_json = json{{"token", tokens[static_cast<std::size_t>(i) % 4]}}.dump();
        authenticator.authenticate(handshake, [&](const sdk::AuthOutcome& outcome) {
            if (outcome.allowed && outcome.identity.user_id == "u-1") allowed.fetch_add(1);
        });
    });
    stop.store(true);
    reloader.join();
    EXPECT_EQ(allowed.load(), kCalls);
    EXPECT_EQ(metrics_.counter_value("jwt_auth_allowed_total"), static_cast<std::uint64_t>(kCalls));
}

}  // namespace
}  // namespace relay::plugins::jwt
