// The claims of a verified token, at a fixed moment: exp and nbf with the leeway,
// iss, aud, sub, the name and rooms claims, and the identity they make.
#include "plugins/jwt/claims.hpp"
#include "plugins/jwt/refusal.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace relay::plugins::jwt {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr std::int64_t kNow = 1'800'000'000;
const Clock::time_point kNowPoint{std::chrono::seconds(kNow)};

json valid() {
    return {{"sub", "u-1"}, {"exp", kNow + 60}};
}

ClaimsVerdict check(const json& payload, const ClaimRules& rules = {}) {
    return check_claims(payload.dump(), rules, kNowPoint);
}

std::string_view refusal_of(const json& payload, const ClaimRules& rules = {}) {
    return check(payload, rules).refusal;
}

TEST(JwtClaims, MakeTheIdentityFromSubNameRoomsAndExp) {
    json payload = valid();
    payload["name"] = "Ada";
    payload["rooms"] = {"lobby"};
    const auto verdict = check(payload);
    ASSERT_EQ(verdict.refusal, "");
    EXPECT_EQ(verdict.identity.user_id, "u-1");
    EXPECT_EQ(verdict.identity.name, "Ada");
    EXPECT_EQ(verdict.identity.display_name(), "Ada");
    ASSERT_EQ(verdict.identity.rooms.size(), 1U);
    EXPECT_EQ(verdict.identity.rooms[0].pattern, "lobby");
    // The session lasts as long as this node accepts the token: exp plus the leeway.
    EXPECT_EQ(verdict.identity.expires_at, Clock::time_point(std::chrono::seconds(kNow + 60)) + 5s);
}

TEST(JwtClaims, TheNameAndRoomsClaimsAreSettings) {
    json payload = valid();
    payload["name"] = "not this";
    payload["preferred_username"] = "ada";
    payload["grants"] = {{"lobby", {"join"}}};
    ClaimRules rules;
    rules.name_claim = "preferred_username";
    rules.rooms_claim = "grants";
    const auto verdict = check(payload, rules);
    ASSERT_EQ(verdict.refusal, "");
    EXPECT_EQ(verdict.identity.name, "ada");
    EXPECT_TRUE(verdict.identity.may(sdk::Permission::join, "lobby"));
}

TEST(JwtClaims, ANameThatIsNoStringAndAbsentRoomsLeaveThemEmpty) {
    json payload = valid();
    payload["name"] = 7;
    const auto verdict = check(payload);
    ASSERT_EQ(verdict.refusal, "");
    EXPECT_EQ(verdict.identity.name, "");
    EXPECT_EQ(verdict.identity.display_name(), "u-1");
    EXPECT_TRUE(verdict.identity.rooms.empty());
}

TEST(JwtClaims, ExpiryHoldsWithinTheLeeway) {
    json payload = valid();
    payload["exp"] = kNow - 3;
    EXPECT_EQ(refusal_of(payload), "");  // leeway 5s by default
    payload["exp"] = kNow - 5;
    EXPECT_EQ(refusal_of(payload), refusal::kTokenExpired);
    payload["exp"] = kNow - 10;
    EXPECT_EQ(refusal_of(payload), refusal::kTokenExpired);
    ClaimRules strict;
    strict.leeway = 0ms;
    payload["exp"] = kNow;
    EXPECT_EQ(refusal_of(payload, strict), refusal::kTokenExpired);
    payload["exp"] = kNow + 1;
    EXPECT_EQ(refusal_of(payload, strict), "");
}

TEST(JwtClaims, NotBeforeHoldsWithinTheLeeway) {
    json payload = valid();
    payload["nbf"] = kNow + 5;
    EXPECT_EQ(refusal_of(payload), "");
    payload["nbf"] = kNow + 6;
    EXPECT_EQ(refusal_of(payload), refusal::kTokenNotYetValid);
    payload["nbf"] = kNow - 100;
    payload["iat"] = "ignored";
    EXPECT_EQ(refusal_of(payload), "");
}

TEST(JwtClaims, WithoutExpATokenIsRefusedUnlessExpIsNotRequired) {
    json payload = valid();
    payload.erase("exp");
    EXPECT_EQ(refusal_of(payload), refusal::kTokenHasNoExpiry);
    ClaimRules lenient;
    lenient.require_exp = false;
    const auto verdict = check(payload, lenient);
    ASSERT_EQ(verdict.refusal, "");
    EXPECT_FALSE(verdict.identity.expires());
}

TEST(JwtClaims, DatesThatAreNoNumbersAreMalformed) {
    json payload = valid();
    payload["exp"] = "tomorrow";
    EXPECT_EQ(refusal_of(payload), refusal::kTokenMalformed);
    payload = valid();
    payload["nbf"] = nullptr;
    EXPECT_EQ(refusal_of(payload), refusal::kTokenMalformed);
}

TEST(JwtClaims, AFarFutureExpDoesNotOverflow) {
    json payload = valid();
    payload["exp"] = 1e300;
    const auto verdict = check(payload);
    ASSERT_EQ(verdict.refusal, "");
    EXPECT_GT(verdict.identity.expires_at, kNowPoint + 24h * 365 * 200);
    payload["exp"] = -1e300;
    EXPECT_EQ(refusal_of(payload), refusal::kTokenExpired);
}

TEST(JwtClaims, IssuerMustEqualTheSetting) {
    ClaimRules rules;
    rules.issuer.emplace("https://issuer.example");
    json payload = valid();
    EXPECT_EQ(refusal_of(payload, rules), refusal::kInvalidIssuer);
    payload["iss"] = "https://other.example";
    EXPECT_EQ(refusal_of(payload, rules), refusal::kInvalidIssuer);
    payload["iss"] = "https://issuer.example";
    EXPECT_EQ(refusal_of(payload, rules), "");
    payload["iss"] = "anything";
    EXPECT_EQ(refusal_of(payload), "");  // not checked without the setting
}

TEST(JwtClaims, AudienceIsAStringOrAnArrayHoldingTheSetting) {
    ClaimRules rules;
    rules.audience.emplace("relay");
    json payload = valid();
    EXPECT_EQ(refusal_of(payload, rules), refusal::kInvalidAudience);
    payload["aud"] = "relay";
    EXPECT_EQ(refusal_of(payload, rules), "");
    payload["aud"] = {"billing", "relay"};
    EXPECT_EQ(refusal_of(payload, rules), "");
    payload["aud"] = {"billing", "relay-2"};
    EXPECT_EQ(refusal_of(payload, rules), refusal::kInvalidAudience);
    payload["aud"] = {{"relay", true}};
    EXPECT_EQ(refusal_of(payload, rules), refusal::kInvalidAudience);
}

TEST(JwtClaims, SubjectMustBeANonEmptyString) {
    json payload = valid();
    payload.erase("sub");
    EXPECT_EQ(refusal_of(payload), refusal::kSubjectMissing);
    payload["sub"] = "";
    EXPECT_EQ(refusal_of(payload), refusal::kSubjectMissing);
    payload["sub"] = 42;
    EXPECT_EQ(refusal_of(payload), refusal::kSubjectMissing);
}

TEST(JwtClaims, ABadRoomsClaimRefusesTheToken) {
    json payload = valid();
    payload["rooms"] = {{"lobby", {"join", "moderate"}}};
    EXPECT_EQ(refusal_of(payload), refusal::kInvalidRoomsClaim);
    payload["rooms"] = "lobby";
    EXPECT_EQ(refusal_of(payload), refusal::kInvalidRoomsClaim);
}

TEST(JwtClaims, APayloadThatIsNoObjectIsMalformed) {
    EXPECT_EQ(check_claims("[1, 2]", {}, kNowPoint).refusal, refusal::kTokenMalformed);
    EXPECT_EQ(check_claims("{\"sub\": ", {}, kNowPoint).refusal, refusal::kTokenMalformed);
}

}  // namespace
}  // namespace relay::plugins::jwt
