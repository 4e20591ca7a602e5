// The server API's request parsing: every malformed request gets its status and reason
// here, before anything of the pipeline is asked.
#include "admin/api_request.hpp"
#include "admin/api_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace api = relay::host::api;
using relay::host::ApiError;

api::Parsed parse(std::string_view method, std::string_view target, std::string_view body = {}) {
    return api::parse(method, target, body);
}

TEST(ApiRequest, PublishTakesTheRoomFromThePathAndTheMessageFromTheBody) {
    const auto parsed = parse("POST", "/api/v1/rooms/team-42%2Fgeneral/messages",
                              R"({"message": {"text": "hi", "n": [1, 2]}, "user": "ops"})");
    ASSERT_TRUE(parsed.request) << parsed.error.reason;
    const auto& publish = std::get<api::Publish>(*parsed.request);
    EXPECT_EQ(publish.room, "team-42/general");
    EXPECT_EQ(publish.user, "ops");
    EXPECT_EQ(nlohmann::json::parse(publish.payload_json),
              nlohmann::json::parse(R"({"text": "hi", "n": [1, 2]})"));
}

TEST(ApiRequest, PublishRefusesWhatIsNotAnObjectMessage) {
    const auto status = [](std::string_view body) {
        return parse("POST", "/api/v1/rooms/lobby/messages", body).error;
    };
    EXPECT_EQ(status("").status, 400);
    EXPECT_EQ(status("{bad json").status, 400);
    EXPECT_EQ(status("{bad json").error, "malformed json");
    EXPECT_EQ(status("[1,2]").status, 400);
    EXPECT_EQ(status(R"({"message": "text"})").status, 400);
    EXPECT_EQ(status(R"({"text": "hi"})").reason, "unknown field 'text'");
    EXPECT_EQ(status(R"({"message": {}, "user": 5})").reason, "user must be a string");
    EXPECT_EQ(status(R"({"message": {}, "user": "a\u0001b"})").reason,
              "user has a control character");
    EXPECT_EQ(status("{\"message\": {\"t\": \"\xff\"}}").error, "malformed json");
}

TEST(ApiRequest, RoomNamesAreCheckedAsTheTransportChecksThem) {
    EXPECT_EQ(parse("GET", "/api/v1/rooms/%01x/presence").error.error, "invalid room");
    EXPECT_EQ(parse("GET", "/api/v1/rooms//presence").error.reason, "the room name is empty");
    EXPECT_EQ(parse("GET", "/api/v1/rooms/%FF/presence").error.reason,
              "the room name is not UTF-8");
    EXPECT_EQ(parse("GET", "/api/v1/rooms/" + std::string(129, 'a') + "/presence").error.status,
              400);
    EXPECT_TRUE(parse("GET", "/api/v1/rooms/" + std::string(128, 'a') + "/presence").request);
    EXPECT_TRUE(parse("GET", "/api/v1/rooms/caf%C3%A9/presence").request);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/a%2/presence").error.status, 400);
}

TEST(ApiRequest, HistoryPagesAsClientsDo) {
    auto parsed = parse("GET", "/api/v1/rooms/lobby/messages?limit=20&before=01ABC");
    ASSERT_TRUE(parsed.request) << parsed.error.reason;
    const auto& history = std::get<api::History>(*parsed.request);
    EXPECT_EQ(history.query.limit, 20U);
    EXPECT_EQ(history.query.before_id, "01ABC");
    EXPECT_EQ(
        std::get<api::History>(*parse("GET", "/api/v1/rooms/lobby/messages").request).query.limit,
        api::kHistoryDefaultLimit);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/lobby/messages?limit=0").error.status, 400);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/lobby/messages?limit=501").error.status, 400);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/lobby/messages?limit=ten").error.status, 400);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/lobby/messages?before=a&after=b").error.status, 400);
    EXPECT_EQ(parse("GET", "/api/v1/rooms/lobby/messages?limt=5").error.reason,
              "unknown query parameter 'limt'");
}

TEST(ApiRequest, DisconnectNamesASessionOrAUser) {
    auto parsed = parse("POST", "/api/v1/disconnect", R"({"user": "ann", "reconnect": false})");
    ASSERT_TRUE(parsed.request) << parsed.error.reason;
    const auto& target = std::get<api::Disconnect>(*parsed.request).target;
    EXPECT_EQ(target.user, "ann");
    EXPECT_FALSE(target.allow_reconnect);
    EXPECT_TRUE(
        std::get<api::Disconnect>(*parse("POST", "/api/v1/disconnect", R"({"sid": "abc"})").request)
            .target.allow_reconnect);
    EXPECT_EQ(parse("POST", "/api/v1/disconnect", "{}").error.status, 400);
    EXPECT_EQ(parse("POST", "/api/v1/disconnect", R"({"sid": "a", "user": "b"})").error.status,
              400);
    EXPECT_EQ(
        parse("POST", "/api/v1/disconnect", R"({"sid": "a", "reconnect": "no"})").error.reason,
        "reconnect must be true or false");
}

TEST(ApiRequest, WrongMethodsAndPathsAreNamed) {
    const auto wrong = parse("DELETE", "/api/v1/rooms/lobby/messages");
    EXPECT_EQ(wrong.error.status, 405);
    EXPECT_EQ(wrong.allow, "GET, POST");
    EXPECT_EQ(parse("POST", "/api/v1/info").allow, "GET");
    EXPECT_EQ(parse("GET", "/api/v1/disconnect").error.status, 405);
    EXPECT_EQ(parse("GET", "/api/v1/nothing").error.status, 404);
    EXPECT_EQ(parse("GET", "/api/v2/info").error.status, 404);
    EXPECT_EQ(parse("GET", "/api/v1info").error.status, 404);
    EXPECT_TRUE(std::holds_alternative<api::Info>(*parse("GET", "/api/v1/info").request));
    EXPECT_TRUE(std::holds_alternative<api::Nodes>(*parse("GET", "/api/v1/nodes").request));
    EXPECT_EQ(parse("POST", "/api/v1/nodes").allow, "GET");
    EXPECT_EQ(parse("GET", "/api/v1/nodes?limit=3").error.status, 400);
    EXPECT_EQ(std::get<api::Rooms>(*parse("GET", "/api/v1/rooms?limit=3").request).limit, 3U);
    EXPECT_TRUE(api::is_api_target("/api/v1/info"));
    EXPECT_FALSE(api::is_api_target("/apiary"));
}

TEST(ApiRequest, PercentDecoding) {
    EXPECT_EQ(api::percent_decode("a%20b+c"), "a b+c");
    EXPECT_EQ(api::percent_decode("a%20b+c", true), "a b c");
    EXPECT_FALSE(api::percent_decode("%G0"));
    EXPECT_FALSE(api::percent_decode("%4"));
    EXPECT_FALSE(api::percent_decode("%"));
}

TEST(ApiRequest, AnErrorIsJsonWithAReason) {
    const ApiError error{400, "bad request", "quote \" and \xff"};
    const auto doc = nlohmann::json::parse(error.body());
    EXPECT_EQ(doc["error"], "bad request");
    EXPECT_TRUE(doc["reason"].get<std::string>().starts_with("quote \""));
}

relay::sdk::Message message(std::string id, std::size_t text_bytes) {
    relay::sdk::Message m;
    m.id = std::move(id);
    m.room = "lobby";
    m.payload_json = R"({"text":")" + std::string(text_bytes, 'x') + R"(","id":"forged"})";
    return m;
}

TEST(ApiHistoryPage, ServerFieldsReplaceTheSendersAndAPageThatIsCutSaysWhereToGoOn) {
    std::vector<relay::sdk::Message> messages = {message("1", 100), message("2", 100),
                                                 message("3", 100)};
    const auto whole = nlohmann::json::parse(api::history_page_json(messages, {}, 100000));
    ASSERT_EQ(whole["messages"].size(), 3U);
    EXPECT_EQ(whole["messages"][0]["id"], "1");
    EXPECT_FALSE(whole.contains("next"));

    // Each message is about 170 bytes as JSON (100 of text, the server's fields): two
    // fit in 400, three do not.
    const auto cut = nlohmann::json::parse(api::history_page_json(messages, {}, 400));
    ASSERT_EQ(cut["messages"].size(), 2U);
    EXPECT_EQ(cut["messages"][0]["id"], "2");
    EXPECT_EQ(cut["next"], nlohmann::json::parse(R"({"more": true, "before": "2"})"));

    relay::sdk::HistoryQuery after;
    after.after_id = "0";
    const auto forward = nlohmann::json::parse(api::history_page_json(messages, after, 400));
    ASSERT_EQ(forward["messages"].size(), 2U);
    EXPECT_EQ(forward["next"], nlohmann::json::parse(R"({"more": true, "after": "2"})"));

    // One message larger than the budget still goes out, so paging gets past it.
    const auto big = nlohmann::json::parse(api::history_page_json({message("9", 5000)}, {}, 10));
    EXPECT_EQ(big["messages"].size(), 1U);
}

}  // namespace
