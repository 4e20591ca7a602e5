// Where the token comes from: the auth object, a refresh's bare string, the header.
#include "plugins/jwt/token_source.hpp"

#include <gtest/gtest.h>

namespace relay::plugins::jwt {
namespace {

sdk::Handshake with(std::string auth_json, const std::string& authorization = {}) {
    sdk::Handshake handshake;
    handshake.auth_json = std::move(auth_json);
    if (!authorization.empty()) handshake.headers.emplace_back("authorization", authorization);
    return handshake;
}

TEST(JwtTokenSource, TakesTheAuthObjectsTokenFirst) {
    EXPECT_EQ(presented_token(with(R"({"token": "a.b.c", "room": "lobby"})", "Bearer x.y.z")),
              "a.b.c");
}

TEST(JwtTokenSource, ARefreshMaySendTheTokenItself) {
    EXPECT_EQ(presented_token(with(R"("a.b.c")")), "a.b.c");
}

TEST(JwtTokenSource, FallsBackToTheBearerHeader) {
    EXPECT_EQ(presented_token(with("{}", "Bearer x.y.z")), "x.y.z");
    EXPECT_EQ(presented_token(with("{}", "bearer   x.y.z ")), "x.y.z");
    EXPECT_EQ(presented_token(with(R"({"token": 42})", "BEARER x.y.z")), "x.y.z");
    EXPECT_EQ(presented_token(with(R"({"token": ""})", "Bearer x.y.z")), "x.y.z");
    EXPECT_EQ(presented_token(with("not json", "Bearer x.y.z")), "x.y.z");
}

TEST(JwtTokenSource, NothingElseIsAToken) {
    EXPECT_EQ(presented_token(with("{}")), "");
    EXPECT_EQ(presented_token(with("{}", "Basic dXNlcjpwYXNz")), "");
    EXPECT_EQ(presented_token(with("{}", "Bearer")), "");
    EXPECT_EQ(presented_token(with("{}", "Bearer ")), "");
    EXPECT_EQ(presented_token(with("{}", "Bearerx.y.z")), "");
    EXPECT_EQ(presented_token(with(R"({"jwt": "a.b.c"})")), "");
}

}  // namespace
}  // namespace relay::plugins::jwt
