// What the http auth plugin sends: the JSON body built from a handshake (only the
// forwarded headers, the auth object parsed) and the POST around it.
#include "plugins/http_auth/auth_request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace relay::plugins::http_auth {
namespace {

using nlohmann::json;

const std::vector<std::string> kForward = {"authorization", "cookie", "user-agent",
                                           "x-forwarded-for"};

sdk::Handshake handshake() {
    sdk::Handshake h;
    h.auth_json = R"({"token": "abc", "room": "general"})";
    h.headers = {{"authorization", "Bearer abc"},
                 {"x-secret", "do not pass"},
                 {"Cookie", "a=1"},
                 {"cookie", "b=2"},
                 {"x-forwarded-for", "10.0.0.1"},
                 {"X-Forwarded-For", "10.0.0.2"}};
    h.query = "EIO=4&transport=websocket";
    h.remote_address = "203.0.113.7";
    h.room = "general";
    return h;
}

TEST(AuthRequest, TheBodyCarriesTheHandshakeAndOnlyTheForwardedHeaders) {
    const auto body = json::parse(request_body(handshake(), kForward));
    EXPECT_EQ(body, json::parse(R"({
        "auth": {"token": "abc", "room": "general"},
        "headers": {"authorization": "Bearer abc", "cookie": "a=1; b=2",
                    "x-forwarded-for": "10.0.0.1, 10.0.0.2"},
        "query": "EIO=4&transport=websocket",
        "remote_address": "203.0.113.7",
        "room": "general",
        "refresh": false})"));
}

TEST(AuthRequest, AnAuthObjectThatIsNotJsonIsSentAsEmpty) {
    auto h = handshake();
    h.auth_json = "{not json";
    h.refresh = true;
    const auto body = json::parse(request_body(h, kForward));
    EXPECT_EQ(body["auth"], json::object());
    EXPECT_EQ(body["refresh"], true);
    h.auth_json = R"("a bare token")";
    EXPECT_EQ(json::parse(request_body(h, kForward))["auth"], "a bare token");
}

TEST(AuthRequest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    auto h = handshake();
    h.headers = {{"user-agent", "bad \xff byte"}};
    const auto body = json::parse(request_body(h, kForward));
    EXPECT_EQ(body["headers"]["user-agent"], "bad \xEF\xBF\xBD byte");
}

TEST(AuthRequest, NoForwardedHeadersIsAnEmptyObject) {
    const auto body = json::parse(request_body(handshake(), {}));
    EXPECT_EQ(body["headers"], json::object());
}

TEST(AuthRequest, APostOfJsonToTheUrl) {
    const auto url = parse_http_url("http://auth.internal:8080/relay/connect?v=1");
    const auto request = make_request(url, R"({"a":1})", true);
    EXPECT_EQ(request.method(), boost::beast::http::verb::post);
    EXPECT_EQ(request.target(), "/relay/connect?v=1");
    EXPECT_EQ(request[boost::beast::http::field::host], "auth.internal:8080");
    EXPECT_EQ(request[boost::beast::http::field::content_type], "application/json");
    EXPECT_EQ(request[boost::beast::http::field::content_length], "7");
    EXPECT_TRUE(request.keep_alive());
    EXPECT_FALSE(make_request(url, "{}", false).keep_alive());
}

}  // namespace
}  // namespace relay::plugins::http_auth
