// The chat splice (client object + server fields), the broadcast frame, and reading
// the CONNECT auth for connection state recovery.
#include "socketio/chat.hpp"
#include "socketio/auth.hpp"
#include "socketio/json.hpp"
#include "socketio/packet.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace relay::plugins::websocket::socketio {
namespace {

const ServerFields kFields{.id = "01HZX5T3Q9",
                           .room = "lobby",
                           .ts_ms = 1700000000123,
                           .sender = "wZX3oN0bSVIhsaknAAAI",
                           .user = "alice"};

constexpr std::string_view kServerSuffix =
    R"("id":"01HZX5T3Q9","room":"lobby","ts":1700000000123,"sender":"wZX3oN0bSVIhsaknAAAI","user":"alice"})";

std::string splice(std::string_view client, const ServerFields& fields = kFields) {
    std::string out;
    const auto ec = append_spliced_message(out, client, fields);
    EXPECT_FALSE(ec) << client << ": " << ec.message();
    return out;
}

TEST(ChatSplice, AddsServerFieldsAfterTheClientFields) {
    EXPECT_EQ(splice(R"({"text":"hello"})"), R"({"text":"hello",)" + std::string(kServerSuffix));
}

TEST(ChatSplice, EmptyObject) {
    EXPECT_EQ(splice("{}"), "{" + std::string(kServerSuffix));
    EXPECT_EQ(splice(" { } "), "{ " + std::string(kServerSuffix));
}

TEST(ChatSplice, ClientFieldsKeptVerbatim) {
    // Unicode, escapes, nesting and number spellings are copied byte for byte.
    const std::string client =
        R"({"text":"h\u00e9llo \"w\" \ud83d\ude00 € 😀","n":1.50E+2,"meta":{"a":[1,{"b":null}]}})";
    const std::string out = splice(client);
    EXPECT_EQ(out, client.substr(0, client.size() - 1) + "," + std::string(kServerSuffix));
}

TEST(ChatSplice, WhitespaceInTheClientTextStaysValid) {
    const std::string out = splice(" {\n \"text\" : \"hi\" \n} \n");
    EXPECT_EQ(out, "{\n \"text\" : \"hi\" \n," + std::string(kServerSuffix));
    EXPECT_FALSE(json::validate(out));
}

TEST(ChatSplice, ServerFieldsWinOverSpoofedOnes) {
    const std::string out = splice(
        R"({"room":"admin","text":"hi","id":"fake","ts":1,"sender":"x","user":"mallory","x":2})");
    EXPECT_EQ(out, R"({"text":"hi","x":2,)" + std::string(kServerSuffix));
}

TEST(ChatSplice, EscapedSpoofedKeysAreCaughtToo) {
    const std::string out = splice(R"({"r\u006fom":"admin","text":"hi"})");
    EXPECT_EQ(out, R"({"text":"hi",)" + std::string(kServerSuffix));
    const auto parsed = nlohmann::json::parse(out);
    EXPECT_EQ(parsed.at("room"), "lobby");
}

TEST(ChatSplice, OnlySpoofedFields) {
    EXPECT_EQ(splice(R"({"room":"admin"})"), "{" + std::string(kServerSuffix));
    EXPECT_EQ(splice(R"({"room":"a","room":"b"})"), "{" + std::string(kServerSuffix));
}

TEST(ChatSplice, ResultHasUniqueServerKeysWithServerValues) {
    const std::string out = splice(R"({"room":"admin","ts":"yesterday","text":"x"})");
    // nlohmann keeps the last duplicate; count keys ourselves.
    json::MemberList members;
    ASSERT_FALSE(json::parse_object(out, members));
    int rooms = 0;
    for (const auto& m : members) rooms += json::string_equals(m.key, "room") ? 1 : 0;
    EXPECT_EQ(rooms, 1);
    const auto parsed = nlohmann::json::parse(out);
    EXPECT_EQ(parsed.at("room"), "lobby");
    EXPECT_EQ(parsed.at("ts"), 1700000000123);
    EXPECT_EQ(parsed.at("text"), "x");
}

TEST(ChatSplice, AnonymousUserIsNullAndValuesAreEscaped) {
    const ServerFields fields{
        .id = "1", .room = "ro\"om\n", .ts_ms = -5, .sender = "s", .user = ""};
    EXPECT_EQ(splice(R"({"a":1})", fields),
              R"({"a":1,"id":"1","room":"ro\"om\n","ts":-5,"sender":"s","user":null})");
}

TEST(ChatSplice, RejectsNonObjectsAndInvalidJson) {
    std::string out = "untouched";
    EXPECT_EQ(append_spliced_message(out, R"(["text"])", kFields), Errc::message_not_object);
    EXPECT_EQ(append_spliced_message(out, R"("hello")", kFields), Errc::message_not_object);
    EXPECT_EQ(append_spliced_message(out, "42", kFields), Errc::message_not_object);
    EXPECT_EQ(append_spliced_message(out, "null", kFields), Errc::message_not_object);
    EXPECT_EQ(append_spliced_message(out, R"({"a":})", kFields), json::Errc::unexpected_character);
    EXPECT_EQ(append_spliced_message(out, R"({"a":1)", kFields), json::Errc::unexpected_end);
    EXPECT_EQ(append_spliced_message(out, R"({"a":1}})", kFields), json::Errc::trailing_characters);
    EXPECT_EQ(append_spliced_message(out, "", kFields), json::Errc::empty);
    EXPECT_EQ(out, "untouched");
    EXPECT_EQ(make_error_code(Errc::message_not_object).message(), "message must be a JSON object");
}

TEST(ChatSplice, CheckClientMessage) {
    EXPECT_FALSE(check_client_message(R"({"text":"hi"})"));
    EXPECT_FALSE(check_client_message(" {} "));
    EXPECT_EQ(check_client_message("[]"), Errc::message_not_object);
    EXPECT_EQ(check_client_message("\"x\""), Errc::message_not_object);
    EXPECT_EQ(check_client_message("{"), json::Errc::unexpected_end);
}

TEST(ChatBroadcast, Frame) {
    std::string out = "stale";
    ASSERT_FALSE(encode_message_broadcast(out, "/", R"({"text":"hello"})", kFields, std::nullopt));
    EXPECT_EQ(out, R"(42["message",{"text":"hello",)" + std::string(kServerSuffix) + "]");
    EXPECT_EQ(out.capacity() >= out.size(), true);
}

TEST(ChatBroadcast, FrameWithOffsetAndNamespace) {
    std::string out;
    ASSERT_FALSE(encode_message_broadcast(out, "/chat", R"({"room":"x","text":"hello"})", kFields,
                                          std::string_view("1700000000123-3")));
    EXPECT_EQ(out, R"(42/chat,["message",{"text":"hello",)" + std::string(kServerSuffix) +
                       R"(,"1700000000123-3"])");
    // What a client decodes: event "message", the object, the offset last.
    Packet p;
    ASSERT_FALSE(decode_packet(std::string_view(out).substr(1), p));
    ASSERT_EQ(p.args().size(), 2u);
    const auto obj = nlohmann::json::parse(p.args()[0]);
    EXPECT_EQ(obj.at("room"), "lobby");
    EXPECT_EQ(obj.at("sender"), "wZX3oN0bSVIhsaknAAAI");
    EXPECT_EQ(p.args()[1], "\"1700000000123-3\"");
}

TEST(ChatBroadcast, ReservesExactlyOnce) {
    std::string out;
    ASSERT_FALSE(encode_message_broadcast(out, "/", R"({"room":"x","text":"h\u00e9"})", kFields,
                                          std::string_view("9")));
    EXPECT_EQ(out.capacity(), out.size());
    ASSERT_FALSE(encode_message_broadcast(out, "/", R"({"text":"hé"})", kFields, std::nullopt));
    EXPECT_LE(out.size(), out.capacity());
}

TEST(ChatBroadcast, FromAnSdkMessage) {
    sdk::Message msg;
    msg.id = "01HZX5T3Q9";
    msg.room = "lobby";
    msg.sender = "wZX3oN0bSVIhsaknAAAI";
    msg.user = "alice";
    msg.ts_ms = 1700000000123;
    msg.payload_json = R"({"text":"hi","room":"spoof"})";
    msg.position = "17";
    std::string out;
    ASSERT_FALSE(encode_message_broadcast(out, "/", msg, true));
    EXPECT_EQ(out, R"(42["message",{"text":"hi",)" + std::string(kServerSuffix) + R"(,"17"])");
    ASSERT_FALSE(encode_message_broadcast(out, "/", msg, false));
    EXPECT_EQ(out, R"(42["message",{"text":"hi",)" + std::string(kServerSuffix) + "]");
}

TEST(ChatBroadcast, BinaryMessageHeader) {
    sdk::Message msg;
    msg.id = "1";
    msg.room = "r";
    msg.sender = "s";
    msg.payload_json = R"({"img":{"_placeholder":true,"num":0}})";
    msg.attachments = {"\x01\x02"};
    std::string out;
    ASSERT_FALSE(encode_message_broadcast(out, "/", msg, false));
    EXPECT_EQ(
        out,
        R"(451-["message",{"img":{"_placeholder":true,"num":0},"id":"1","room":"r","ts":0,"sender":"s","user":null}])");
    Packet p;
    ASSERT_FALSE(decode_packet(std::string_view(out).substr(1), p));
    EXPECT_EQ(p.attachments, 1u);
}

TEST(ChatBroadcast, RejectsBadPayload) {
    std::string out;
    EXPECT_EQ(encode_message_broadcast(out, "/", "[1]", kFields, std::nullopt),
              Errc::message_not_object);
    EXPECT_TRUE(out.empty());
}

// --- CONNECT auth ---------------------------------------------------------------

TEST(ConnectAuth, StringMember) {
    EXPECT_EQ(string_member(R"({"room":"lobby","token":"t"})", "room"), "lobby");
    EXPECT_EQ(string_member(R"({"room":"lo\"bby\u00e9"})", "room"), "lo\"bbyé");
    EXPECT_EQ(string_member(R"({"r\u006fom":"x"})", "room"), "x");
    EXPECT_EQ(string_member(R"({"room":"a","room":"b"})", "room"), "b");  // last wins
    EXPECT_EQ(string_member(R"({"room":42})", "room"), std::nullopt);
    EXPECT_EQ(string_member(R"({"other":"x"})", "room"), std::nullopt);
    EXPECT_EQ(string_member(R"(["room"])", "room"), std::nullopt);
    EXPECT_EQ(string_member(R"({"room":)", "room"), std::nullopt);
    EXPECT_EQ(string_member("", "room"), std::nullopt);
}

TEST(ConnectAuth, RecoveryRequest) {
    // socket.io-client after a disconnection: {pid, offset, ...auth}
    Packet p;
    ASSERT_FALSE(decode_packet(
        R"(0{"pid":"ZUpNzLNKg3WsXWHaAAAB","offset":"1700000000123-3","room":"lobby"})", p));
    const auto req = recovery_request(p.data);
    ASSERT_TRUE(req);
    EXPECT_EQ(req->pid, "ZUpNzLNKg3WsXWHaAAAB");
    EXPECT_EQ(req->offset, "1700000000123-3");

    const auto no_offset = recovery_request(R"({"pid":"p"})");
    ASSERT_TRUE(no_offset);
    EXPECT_EQ(no_offset->offset, "");
    EXPECT_FALSE(recovery_request(R"({"room":"lobby"})"));
    EXPECT_FALSE(recovery_request(R"({"pid":null,"offset":"1"})"));
    EXPECT_FALSE(recovery_request(""));
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio
