// The rooms claim: its two forms, and everything else refused.
#include "plugins/jwt/rooms_claim.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace relay::plugins::jwt {
namespace {

using nlohmann::json;
using sdk::Permission;

TEST(JwtRoomsClaim, AnObjectGrantsTheNamedPermissionsPerPattern) {
    const auto grants = parse_rooms_claim(json::parse(
        R"({"lobby": ["join", "history"], "team-42/*": ["join", "publish", "history", "presence"]})"));
    ASSERT_TRUE(grants);
    sdk::Identity identity;
    identity.rooms = *grants;
    EXPECT_TRUE(identity.may(Permission::join, "lobby"));
    EXPECT_TRUE(identity.may(Permission::history, "lobby"));
    EXPECT_FALSE(identity.may(Permission::publish, "lobby"));
    EXPECT_FALSE(identity.may(Permission::presence, "lobby"));
    EXPECT_EQ(identity.permissions_in("team-42/general"), sdk::kAllPermissions);
    EXPECT_EQ(identity.permissions_in("team-43/general"), sdk::kNoPermissions);
}

TEST(JwtRoomsClaim, AnArrayGrantsEveryPermissionInEachPattern) {
    const auto grants = parse_rooms_claim(json::parse(R"(["lobby", "team-42/*"])"));
    ASSERT_TRUE(grants);
    ASSERT_EQ(grants->size(), 2U);
    EXPECT_EQ((*grants)[0].pattern, "lobby");
    EXPECT_EQ((*grants)[0].permissions, sdk::kAllPermissions);
    EXPECT_EQ((*grants)[1].pattern, "team-42/*");
    EXPECT_EQ((*grants)[1].permissions, sdk::kAllPermissions);
}

TEST(JwtRoomsClaim, EmptyFormsGrantNothing) {
    EXPECT_EQ(parse_rooms_claim(json::array())->size(), 0U);
    EXPECT_EQ(parse_rooms_claim(json::object())->size(), 0U);
    const auto none = parse_rooms_claim(json::parse(R"({"lobby": []})"));
    ASSERT_TRUE(none);
    EXPECT_EQ(none->front().permissions, sdk::kNoPermissions);
}

TEST(JwtRoomsClaim, RefusesUnknownPermissionsAndOtherShapes) {
    for (const char* text : {
             R"({"lobby": ["join", "admin"]})",  // no such permission
             R"({"lobby": ["JOIN"]})",           // names are lower-case
             R"({"lobby": "join"})",             // not a list
             R"({"lobby": [1]})",
             R"({"": ["join"]})",  // an empty pattern
             R"(["lobby", 7])",
             R"([""])",
             R"("lobby")",
             R"(42)",
             R"(null)",
         }) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(parse_rooms_claim(json::parse(text)));
    }
}

}  // namespace
}  // namespace relay::plugins::jwt
