// What `relay check` says about a jwt section (error text pinned word for word), and
// the settings a valid one reads into.
#include "plugins/jwt/config_check.hpp"
#include "plugins/jwt/settings.hpp"
#include "support/temp_dir.hpp"
#include "unit/plugins/jwt/test_tokens.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::plugins::jwt {
namespace {

using namespace std::chrono_literals;
using sdk::testing::TestConfig;
using testing::TestKey;
using testing::write_file;

/// Problems as `key: message` lines, in order.
std::vector<std::string> problems_of(const TestConfig& config) {
    std::vector<std::string> lines;
    for (const auto& problem : check_config(config)) {
        lines.push_back(problem.key + ": " + problem.message);
    }
    return lines;
}

using Lines = std::vector<std::string>;

const std::string kSecret(40, 's');

class JwtConfigCheckTest : public ::testing::Test {
protected:
    std::string file(const std::string& name, std::string_view text) {
        return write_file(dir_ / name, text);
    }
    static const TestKey& ec() {
        static const TestKey key = TestKey::ec_p256();
        return key;
    }

    relay::testing::TempDir dir_{"relay-jwt-check"};
    TestConfig config_{schema(), "auth"};
};

TEST_F(JwtConfigCheckTest, TheDefaultsAreTheSettingsDefaults) {
    config_.set_string("secret", kSecret);
    EXPECT_EQ(problems_of(config_), Lines{});
    const Settings settings = parse_settings(config_);
    EXPECT_EQ(settings.algorithms,
              (std::vector<std::string>{"HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"}));
    EXPECT_EQ(settings.keys.secret, kSecret);
    EXPECT_FALSE(settings.keys.secret_file);
    EXPECT_TRUE(settings.keys.public_keys.empty());
    EXPECT_FALSE(settings.keys.jwks_file);
    EXPECT_FALSE(settings.claims.issuer);
    EXPECT_FALSE(settings.claims.audience);
    EXPECT_EQ(settings.claims.leeway, 5s);
    EXPECT_TRUE(settings.claims.require_exp);
    EXPECT_EQ(settings.claims.name_claim, "name");
    EXPECT_EQ(settings.claims.rooms_claim, "rooms");
}

TEST_F(JwtConfigCheckTest, TheSecretIsHiddenFromListings) {
    for (const auto& key : schema()) {
        EXPECT_EQ(key.secret, key.name == "secret") << key.name;
    }
}

TEST_F(JwtConfigCheckTest, EverySettingReads) {
    config_.set_string_list("algorithms", {"ES256"});
    config_.set_string_list("public_keys", {file("ec.pem", ec().public_pem())});
    config_.set_string("issuer", "https://issuer.example");
    config_.set_string("audience", "relay");
    config_.set_duration("leeway", 30s);
    config_.set_boolean("require_exp", false);
    config_.set_string("name_claim", "nickname");
    config_.set_string("rooms_claim", "relay_rooms");
    EXPECT_EQ(problems_of(config_), Lines{});
    const Settings settings = parse_settings(config_);
    EXPECT_EQ(settings.algorithms, std::vector<std::string>{"ES256"});
    EXPECT_EQ(settings.claims.issuer, "https://issuer.example");
    EXPECT_EQ(settings.claims.audience, "relay");
    EXPECT_EQ(settings.claims.leeway, 30s);
    EXPECT_FALSE(settings.claims.require_exp);
    EXPECT_EQ(settings.claims.name_claim, "nickname");
    EXPECT_EQ(settings.claims.rooms_claim, "relay_rooms");
}

TEST_F(JwtConfigCheckTest, NeedsAKeySource) {
    EXPECT_EQ(problems_of(config_),
              Lines{"secret: no key to verify tokens with: set secret, secret_file, public_keys "
                    "or jwks_file"});
    EXPECT_THROW(parse_settings(config_), sdk::ConfigError);
}

TEST_F(JwtConfigCheckTest, RefusesUnknownAlgorithmsAndNone) {
    config_.set_string("secret", kSecret);
    config_.set_string_list("algorithms", {"HS256", "none", "RS512"});
    EXPECT_EQ(problems_of(config_),
              (Lines{"algorithms: alg none is never allowed: an unsigned token proves nothing",
                     "algorithms: expected one of [HS256, HS384, HS512, RS256, ES256, EdDSA], got "
                     "\"RS512\""}));
    config_.set_string_list("algorithms", {});
    EXPECT_EQ(problems_of(config_),
              Lines{"algorithms: expected at least one of [HS256, HS384, HS512, RS256, ES256, "
                    "EdDSA]"});
}

TEST_F(JwtConfigCheckTest, OneSecretSourceOnly) {
    config_.set_string("secret", kSecret);
    config_.set_string("secret_file", file("secret", kSecret));
    EXPECT_EQ(problems_of(config_), Lines{"secret_file: set secret or secret_file, not both"});
}

TEST_F(JwtConfigCheckTest, AWeakSecretIsAProblem) {
    config_.set_string("secret", "0123456789");
    EXPECT_EQ(problems_of(config_),
              Lines{"secret: a secret of 10 bytes is too weak for HS256: use at least 32 random "
                    "bytes"});
    config_.unset("secret");
    const std::string path = file("secret", "0123456789abcdef\n");
    config_.set_string("secret_file", path);
    EXPECT_EQ(problems_of(config_),
              Lines{"secret_file: " + path +
                    ": a secret of 16 bytes is too weak for HS256: use at least 32 random bytes"});
}

TEST_F(JwtConfigCheckTest, EveryUnreadablePemIsNamedWithItsReason) {
    const std::string missing = (dir_ / "missing.pem").string();
    const std::string garbage = file("garbage.pem", "not a key\n");
    const std::string secret_key = file("private.pem", ec().private_pem());
    const std::string good = file("ec.pem", ec().public_pem());
    config_.set_string_list("public_keys", {good, missing, garbage, secret_key});
    EXPECT_EQ(problems_of(config_),
              (Lines{"public_keys: " + missing + ": cannot read: No such file or directory",
                     "public_keys: " + garbage + ": no PEM public key or certificate in it",
                     "public_keys: " + secret_key +
                         ": block 1 (PRIVATE KEY) is a private key: give relay only the public "
                         "key (openssl pkey -pubout) or a certificate"}));
}

TEST_F(JwtConfigCheckTest, APemKeyOfAnotherCurveIsAProblem) {
    PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* made = nullptr;
    ASSERT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
                EVP_PKEY_CTX_set_group_name(ctx.get(), "P-384") == 1 &&
                EVP_PKEY_generate(ctx.get(), &made) == 1);
    const PkeyHandle p384(made);
    BioHandle bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), p384.get()), 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    const std::string path = file("p384.pem", std::string(data, static_cast<std::size_t>(size)));
    config_.set_string_list("public_keys", {path});
    EXPECT_EQ(problems_of(config_),
              Lines{"public_keys: " + path +
                    ": block 1 (PUBLIC KEY) holds a key that is not RSA, EC P-256 or Ed25519"});
}

TEST_F(JwtConfigCheckTest, ABrokenJwksIsNamedWithTheKeyAtFault) {
    const std::string path = (dir_ / "jwks.json").string();
    config_.set_string("jwks_file", path);
    EXPECT_EQ(problems_of(config_),
              Lines{"jwks_file: " + path + ": cannot read: No such file or directory"});

    const auto says = [&](const std::string& text) {
        write_file(path, text);
        const auto lines = problems_of(config_);
        return lines.size() == 1 ? lines.front() : "problems: " + std::to_string(lines.size());
    };
    const std::string at = "jwks_file: " + path + ": ";
    EXPECT_EQ(says("{"), at + "is not JSON");
    EXPECT_EQ(says(R"({"keys": {}})"),
              at + "is not a JWKS: expected an object with a \"keys\" array");
    EXPECT_EQ(says(R"({"keys": [{"kty": "RSA", "kid": "r1", "e": "AQAB"}]})"),
              at + "key 1 (kid \"r1\"): kty RSA needs n and e (base64url)");
    nlohmann::json off_curve = ec().jwk("e1");
    auto y = off_curve["y"].get<std::string>();
    y[0] = y[0] == 'A' ? 'B' : 'A';
    off_curve["y"] = y;
    EXPECT_EQ(says(testing::jwks_text({ec().jwk("fine"), off_curve})),
              at + "key 2 (kid \"e1\"): is not a valid EC P-256 public key");
    nlohmann::json misfit = ec().jwk("e2");
    misfit["alg"] = "RS256";
    EXPECT_EQ(says(testing::jwks_text({misfit})),
              at + "key 1 (kid \"e2\"): alg RS256 does not fit kty EC");
    EXPECT_EQ(says(testing::jwks_text({TestKey::hmac("short").jwk("h")})),
              at + "key 1 (kid \"h\"): k is 5 bytes, too weak: use at least 32 random bytes");
    // Keys relay does not use are skipped; a set of only those is a problem.
    EXPECT_EQ(says(R"({"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
                                {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}]})"),
              at + "has no key relay can use (kty RSA, EC P-256, OKP Ed25519 or oct, for "
                   "signatures)");
    write_file(path, testing::jwks_text(
                         {ec().jwk("fine"), nlohmann::json{{"kty", "EC"}, {"crv", "P-521"}}}));
    EXPECT_EQ(problems_of(config_), Lines{});
}

TEST_F(JwtConfigCheckTest, ListedHsAlgorithmsNeedASecret) {
    const std::string pem = file("ec.pem", ec().public_pem());
    config_.set_string_list("public_keys", {pem});
    // The default list is fine: an HS token then has no key and is refused.
    EXPECT_EQ(problems_of(config_), Lines{});
    config_.set_string_list("algorithms", {"ES256", "HS256", "HS512"});
    EXPECT_EQ(problems_of(config_),
              Lines{"algorithms: HS256, HS512 listed but no HMAC secret: set secret or "
                    "secret_file, add oct keys to jwks_file, or remove them from algorithms"});
    // Oct keys in a JWKS are secrets too.
    config_.set_string("jwks_file",
                       file("jwks.json", testing::jwks_text({TestKey::hmac(kSecret).jwk("h")})));
    EXPECT_EQ(problems_of(config_), Lines{});
}

}  // namespace
}  // namespace relay::plugins::jwt
