// Socket.IO v5 server-side encoders: exact frames, compared with the protocol
// document and with socket.io-parser 4.2's Encoder (output prefixed with Engine.IO's
// `4`), and round trips through the decoder.
#include "socketio/encode.hpp"
#include "socketio/packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace relay::plugins::websocket::socketio {
namespace {

using Args = std::vector<std::string_view>;

TEST(SocketioEncode, Event) {
    const Args args = {"{\"text\":\"hello\"}"};
    const std::string frame = encode_event({.name = "message", .args = args});
    EXPECT_EQ(frame, "42[\"message\",{\"text\":\"hello\"}]");
    EXPECT_EQ(frame.size(), event_size({.name = "message", .args = args}));
}

TEST(SocketioEncode, EventExamplesOfTheProtocol) {
    EXPECT_EQ(encode_event({.name = "foo"}), "42[\"foo\"]");
    EXPECT_EQ(encode_event({.nsp = "/admin", .name = "bar"}), "42/admin,[\"bar\"]");
    EXPECT_EQ(encode_event({.name = "foo", .ack_id = 12}), "4212[\"foo\"]");
    EXPECT_EQ(encode_event({.nsp = "/admin", .name = "foo", .ack_id = 13}), "42/admin,13[\"foo\"]");
    const Args jude = {"\"Jude\""};
    EXPECT_EQ(encode_event({.name = "hey", .args = jude}), "42[\"hey\",\"Jude\"]");
}

TEST(SocketioEncode, EventWithRecoveryOffset) {
    // socket.io's session-aware adapter appends the offset as the last argument.
    const Args args = {"{\"a\":1}"};
    const EventFrame frame{.name = "message", .args = args, .offset = "1700000000000-0"};
    const std::string wire = encode_event(frame);
    EXPECT_EQ(wire, "42[\"message\",{\"a\":1},\"1700000000000-0\"]");
    EXPECT_EQ(wire.size(), event_size(frame));
}

TEST(SocketioEncode, NamesAndOffsetsAreEscaped) {
    const EventFrame frame{.name = "a\"b\n", .offset = "o\\"};
    const std::string wire = encode_event(frame);
    EXPECT_EQ(wire, "42[\"a\\\"b\\n\",\"o\\\\\"]");
    EXPECT_EQ(wire.size(), event_size(frame));
}

TEST(SocketioEncode, AppendsIntoACallerBuffer) {
    std::string out = "prefix:";
    append_event(out, {.name = "x"});
    EXPECT_EQ(out, "prefix:42[\"x\"]");
}

TEST(SocketioEncode, BinaryEventHeader) {
    // socket.io-parser: encode({type: EVENT, nsp: "/admin", id: 7,
    //   data: ["baz", <01 02>, <03 04>]})[0]
    const std::string p0 = placeholder(0);
    const std::string p1 = placeholder(1);
    const Args args = {p0, p1};
    const EventFrame frame{
        .nsp = "/admin", .name = "baz", .args = args, .ack_id = 7, .attachments = 2};
    const std::string wire = encode_event(frame);
    EXPECT_EQ(wire,
              "452-/admin,7[\"baz\",{\"_placeholder\":true,\"num\":0},"
              "{\"_placeholder\":true,\"num\":1}]");
    EXPECT_EQ(wire.size(), event_size(frame));
    EXPECT_EQ(encode_event({.name = "baz", .args = Args{p0}, .attachments = 1}),
              "451-[\"baz\",{\"_placeholder\":true,\"num\":0}]");
}

TEST(SocketioEncode, Placeholder) {
    EXPECT_EQ(placeholder(0), "{\"_placeholder\":true,\"num\":0}");
    EXPECT_EQ(placeholder(12), "{\"_placeholder\":true,\"num\":12}");
    std::string out = "[";
    append_placeholder(out, 3);
    EXPECT_EQ(out, "[{\"_placeholder\":true,\"num\":3}");
}

TEST(SocketioEncode, Acks) {
    EXPECT_EQ(encode_ack("/", 12, {}), "4312[]");
    const Args bar = {"\"bar\""};
    EXPECT_EQ(encode_ack("/admin", 13, bar), "43/admin,13[\"bar\"]");
    const Args two = {"{\"id\":\"01H\"}", "2"};
    EXPECT_EQ(encode_ack("/", 0, two), "430[{\"id\":\"01H\"},2]");
    const std::string p0 = placeholder(0);
    EXPECT_EQ(encode_ack("/", 15, Args{"\"bar\"", p0}, 1),
              "461-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
}

TEST(SocketioEncode, ConnectReply) {
    EXPECT_EQ(encode_connect("/", "wZX3oN0bSVIhsaknAAAI"), "40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
    EXPECT_EQ(encode_connect("/admin", "oSO0OpakMV_3jnilAAAA"),
              "40/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    // With connection state recovery: {sid, pid}, in that order.
    EXPECT_EQ(encode_connect("/", "wZX3oN0bSVIhsaknAAAI", "abc"),
              "40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\",\"pid\":\"abc\"}");
}

TEST(SocketioEncode, ConnectError) {
    EXPECT_EQ(encode_connect_error("/", "Invalid room id"), "44{\"message\":\"Invalid room id\"}");
    EXPECT_EQ(encode_connect_error("/admin", "Invalid namespace"),
              "44/admin,{\"message\":\"Invalid namespace\"}");
    EXPECT_EQ(encode_connect_error("/", "Not authorized", "{\"retry\":false}"),
              "44{\"message\":\"Not authorized\",\"data\":{\"retry\":false}}");
    EXPECT_EQ(encode_connect_error("/", "say \"no\""), "44{\"message\":\"say \\\"no\\\"\"}");
}

TEST(SocketioEncode, Disconnect) {
    EXPECT_EQ(encode_disconnect("/"), "41");
    EXPECT_EQ(encode_disconnect("/admin"), "41/admin,");
}

// Every encoder's output, minus the Engine.IO `4`, decodes back to what was encoded.
TEST(SocketioEncode, RoundTripsThroughTheDecoder) {
    const Args args = {"{\"text\":\"héllo \\\"x\\\"\"}", "[1,{\"b\":null}]", "-2.5e3"};
    const std::string event = encode_event(
        {.nsp = "/chat", .name = "message", .args = args, .ack_id = 99, .offset = "42-7"});
    Packet p;
    ASSERT_FALSE(decode_packet(std::string_view(event).substr(1), p));
    EXPECT_EQ(p.type, PacketType::event);
    EXPECT_EQ(p.nsp, "/chat");
    EXPECT_EQ(*p.id, 99u);
    EXPECT_TRUE(json::string_equals(p.event_name(), "message"));
    ASSERT_EQ(p.args().size(), 4u);
    for (std::size_t i = 0; i < args.size(); ++i) EXPECT_EQ(p.args()[i], args[i]);
    EXPECT_EQ(p.args()[3], "\"42-7\"");

    const std::string connect = encode_connect("/chat", "sid", "pid");
    ASSERT_FALSE(decode_packet(std::string_view(connect).substr(1), p));
    EXPECT_EQ(p.type, PacketType::connect);
    EXPECT_EQ(p.data, "{\"sid\":\"sid\",\"pid\":\"pid\"}");

    const std::string error = encode_connect_error("/", "Invalid room id");
    ASSERT_FALSE(decode_packet(std::string_view(error).substr(1), p));
    EXPECT_EQ(p.type, PacketType::connect_error);

    const std::string ack = encode_ack("/", 5, args);
    ASSERT_FALSE(decode_packet(std::string_view(ack).substr(1), p));
    EXPECT_EQ(p.type, PacketType::ack);
    EXPECT_EQ(p.args().size(), 3u);

    const std::string disconnect = encode_disconnect("/chat");
    ASSERT_FALSE(decode_packet(std::string_view(disconnect).substr(1), p));
    EXPECT_EQ(p.type, PacketType::disconnect);
    EXPECT_EQ(p.nsp, "/chat");

    const std::string p0 = placeholder(0);
    const std::string binary =
        encode_event({.name = "f", .args = Args{p0}, .ack_id = 1, .attachments = 1});
    ASSERT_FALSE(decode_packet(std::string_view(binary).substr(1), p));
    EXPECT_EQ(p.type, PacketType::binary_event);
    EXPECT_EQ(p.attachments, 1u);
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio
