// How the http auth plugin reads the service's answer: identities in both room forms,
// denials, other statuses, and malformed answers (the client's reason pinned, the
// log's detail checked).
#include "plugins/http_auth/auth_answer.hpp"
#include "plugins/http_auth/refusals.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace relay::plugins::http_auth {
namespace {

using sdk::Permission;

TEST(AuthAnswer, AnIdentityWithRoomsAndTheirPermissions) {
    const auto answer = read_answer(200, R"({
        "user": "u-42", "name": "Ada", "expires_at": 1767225600,
        "rooms": {"team-42/*": ["join", "publish", "history", "presence"], "lobby": ["join"]},
        "info": {"ignored": true}})");
    ASSERT_EQ(answer.kind, Answer::Kind::allowed) << answer.problem;
    ASSERT_TRUE(answer.outcome.allowed);
    const auto& identity = answer.outcome.identity;
    EXPECT_EQ(identity.user_id, "u-42");
    EXPECT_EQ(identity.display_name(), "Ada");
    EXPECT_EQ(identity.expires_at,
              std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
    EXPECT_EQ(identity.permissions_in("team-42/general"), sdk::kAllPermissions);
    EXPECT_TRUE(identity.may(Permission::join, "lobby"));
    EXPECT_FALSE(identity.may(Permission::publish, "lobby"));
    EXPECT_EQ(identity.permissions_in("team-7/general"), sdk::kNoPermissions);
}

TEST(AuthAnswer, RoomsAsAListGrantEveryPermission) {
    const auto answer = read_answer(201, R"({"user": "u-1", "rooms": ["general", "team-*"]})");
    ASSERT_EQ(answer.kind, Answer::Kind::allowed) << answer.problem;
    const auto& identity = answer.outcome.identity;
    EXPECT_EQ(identity.permissions_in("general"), sdk::kAllPermissions);
    EXPECT_EQ(identity.permissions_in("team-9"), sdk::kAllPermissions);
    EXPECT_EQ(identity.permissions_in("random"), sdk::kNoPermissions);
    EXPECT_FALSE(identity.expires());
    EXPECT_EQ(identity.display_name(), "u-1");
}

TEST(AuthAnswer, WithoutRoomsTheIdentityMayDoNothing) {
    const auto answer = read_answer(200, R"({"user": "u-1", "expires_at": 0, "name": null})");
    ASSERT_EQ(answer.kind, Answer::Kind::allowed) << answer.problem;
    EXPECT_TRUE(answer.outcome.identity.rooms.empty());
    EXPECT_FALSE(answer.outcome.identity.expires());
}

TEST(AuthAnswer, FractionalExpiryKeepsMilliseconds) {
    const auto answer = read_answer(200, R"({"user": "u-1", "expires_at": 1767225600.25})");
    ASSERT_EQ(answer.kind, Answer::Kind::allowed) << answer.problem;
    EXPECT_EQ(answer.outcome.identity.expires_at,
              std::chrono::system_clock::time_point(std::chrono::milliseconds(1767225600250)));
}

TEST(AuthAnswer, A2xxDenyRefusesWithItsReason) {
    auto answer = read_answer(200, R"({"deny": "account suspended"})");
    EXPECT_EQ(answer.kind, Answer::Kind::denied);
    EXPECT_FALSE(answer.outcome.allowed);
    EXPECT_EQ(answer.outcome.reason, "account suspended");
    answer = read_answer(200, R"({"deny": "", "user": "u-1"})");
    EXPECT_EQ(answer.kind, Answer::Kind::denied);
    EXPECT_EQ(answer.outcome.reason, "access denied");
}

TEST(AuthAnswer, A401Or403RefusesWithItsReasonOrAccessDenied) {
    EXPECT_EQ(read_answer(403, R"({"reason": "not a member of team-42"})").outcome.reason,
              "not a member of team-42");
    EXPECT_EQ(read_answer(401, "").outcome.reason, "access denied");
    EXPECT_EQ(read_answer(401, "<html>login</html>").outcome.reason, "access denied");
    EXPECT_EQ(read_answer(403, R"({"reason": 7})").outcome.reason, "access denied");
    EXPECT_EQ(read_answer(403, "{}").kind, Answer::Kind::denied);
}

TEST(AuthAnswer, AnyOtherStatusIsAServiceError) {
    for (const unsigned status : {500U, 502U, 404U, 302U, 400U, 100U}) {
        const auto answer = read_answer(status, R"({"user": "u-1"})");
        EXPECT_EQ(answer.kind, Answer::Kind::service_error);
        EXPECT_FALSE(answer.outcome.allowed);
        EXPECT_EQ(answer.outcome.reason,
                  "auth service error (HTTP " + std::to_string(status) + ")");
    }
}

TEST(AuthAnswer, AMalformedIdentityIsRefusedWithTheDetailForTheLog) {
    struct Case {
        const char* body;
        const char* problem;
    };
    const Case cases[] = {
        {"not json", "the 2xx body is not JSON"},
        {"", "the 2xx body is not JSON"},
        {R"(["u-1"])", "the 2xx body is not a JSON object"},
        {R"({"name": "Ada"})", "no `user` (nor `deny`)"},
        {R"({"user": ""})", "`user` is not a non-empty string, got \"\""},
        {R"({"user": 42})", "`user` is not a non-empty string, got 42"},
        {R"({"user": "u", "name": 1})", "`name` is not a string, got 1"},
        {R"({"user": "u", "expires_at": "soon"})", "`expires_at` is not a number, got \"soon\""},
        {R"({"user": "u", "expires_at": -1})",
         "`expires_at` is not unix seconds between 0 and 9000000000, got -1"},
        {R"({"user": "u", "expires_at": 1e300})",
         "`expires_at` is not unix seconds between 0 and 9000000000, got 1e+300"},
        {R"({"user": "u", "rooms": "general"})",
         "`rooms` is neither an object of patterns nor a list, got \"general\""},
        {R"({"user": "u", "rooms": [1]})", "`rooms` lists something that is not a room pattern: 1"},
        {R"({"user": "u", "rooms": {"general": "join"}})",
         "`rooms.general` is not a list of permissions, got \"join\""},
        {R"({"user": "u", "rooms": {"general": ["join", "write"]}})",
         "`rooms.general` has the unknown permission \"write\" (expected join, publish, "
         "history or presence)"},
        {R"({"deny": true})", "`deny` is not a string, got true"},
    };
    for (const auto& c : cases) {
        const auto answer = read_answer(200, c.body);
        EXPECT_EQ(answer.kind, Answer::Kind::malformed) << c.body;
        EXPECT_FALSE(answer.outcome.allowed) << c.body;
        EXPECT_EQ(answer.outcome.reason, "auth service answered malformed identity") << c.body;
        EXPECT_EQ(answer.problem, c.problem) << c.body;
    }
}

TEST(AuthAnswer, ALongValueIsCutShortInTheLogDetail) {
    const std::string user(500, 'x');
    const auto answer = read_answer(200, R"({"user": "u", "name": [")" + user + R"("]})");
    EXPECT_EQ(answer.kind, Answer::Kind::malformed);
    EXPECT_EQ(answer.problem, "`name` is not a string, got [\"" + std::string(78, 'x') + "...");
}

}  // namespace
}  // namespace relay::plugins::http_auth
