// Socket.IO v5 decoding: every packet shape of the protocol document, every error, and
// the binary reassembler. Examples are the socket.io-protocol README's encodings.
#include "socketio/decoder.hpp"
#include "socketio/packet.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::plugins::websocket::socketio {
namespace {

using namespace std::string_literals;

Packet decode(std::string_view text, const DecodeLimits& limits = {}) {
    Packet p;
    const auto ec = decode_packet(text, p, limits);
    EXPECT_FALSE(ec) << text << ": " << ec.message();
    return p;
}

std::error_code decode_error(std::string_view text, const DecodeLimits& limits = {}) {
    Packet p;
    return decode_packet(text, p, limits);
}

// --- the protocol document's examples -------------------------------------------

TEST(SocketioDecode, Connect) {
    Packet p = decode("0");
    EXPECT_EQ(p.type, PacketType::connect);
    EXPECT_EQ(p.nsp, "/");
    EXPECT_TRUE(p.data.empty());
    EXPECT_FALSE(p.id);

    p = decode("0/admin,");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_TRUE(p.data.empty());

    p = decode("0/admin,{\"token\":\"123\"}");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(p.data, "{\"token\":\"123\"}");

    p = decode("0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
    EXPECT_EQ(p.data, "{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
}

TEST(SocketioDecode, NamespaceEndingTheTextIsAccepted) {
    // socket.io-parser and python-socketio both read `0/admin` as CONNECT to /admin.
    const Packet p = decode("0/admin");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_TRUE(p.data.empty());
}

TEST(SocketioDecode, ConnectError) {
    Packet p = decode("4{\"message\":\"Not authorized\"}");
    EXPECT_EQ(p.type, PacketType::connect_error);
    EXPECT_EQ(p.data, "{\"message\":\"Not authorized\"}");
    p = decode("4\"legacy string\"");
    EXPECT_EQ(p.data, "\"legacy string\"");
}

TEST(SocketioDecode, Disconnect) {
    EXPECT_EQ(decode("1").type, PacketType::disconnect);
    EXPECT_EQ(decode("1/admin,").nsp, "/admin");
}

TEST(SocketioDecode, Events) {
    Packet p = decode("2[\"foo\"]");
    EXPECT_EQ(p.type, PacketType::event);
    EXPECT_EQ(p.event_name(), "\"foo\"");
    EXPECT_TRUE(p.args().empty());
    EXPECT_FALSE(p.id);

    p = decode("2/admin,[\"bar\"]");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(p.event_name(), "\"bar\"");

    p = decode("212[\"foo\"]");
    ASSERT_TRUE(p.id);
    EXPECT_EQ(*p.id, 12u);

    p = decode("2/admin,13[\"foo\"]");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 13u);
}

TEST(SocketioDecode, HotPathEventGivesNameAckIdAndRawArgs) {
    const std::string text =
        "27[\"message\",{\"text\":\"héllo \\\"q\\\" \\u00e9\",\"n\":[1,2]},\"second\",3.5,null]";
    const Packet p = decode(text);
    EXPECT_TRUE(p.is_event());
    EXPECT_TRUE(json::string_equals(p.event_name(), "message"));
    ASSERT_TRUE(p.id);
    EXPECT_EQ(*p.id, 7u);
    ASSERT_EQ(p.args().size(), 4u);
    EXPECT_EQ(p.args()[0], "{\"text\":\"héllo \\\"q\\\" \\u00e9\",\"n\":[1,2]}");
    EXPECT_EQ(p.args()[1], "\"second\"");
    EXPECT_EQ(p.args()[2], "3.5");
    EXPECT_EQ(p.args()[3], "null");
}

TEST(SocketioDecode, ArgsAreViewsIntoTheInput) {
    const std::string text = "2[\"message\",{\"text\":\"hi\"}]";
    Packet p;
    ASSERT_FALSE(decode_packet(text, p));
    EXPECT_EQ(p.args()[0].data(), text.data() + text.find('{'));
    EXPECT_EQ(p.nsp, "/");
}

TEST(SocketioDecode, Acks) {
    Packet p = decode("312[]");
    EXPECT_EQ(p.type, PacketType::ack);
    EXPECT_EQ(*p.id, 12u);
    EXPECT_TRUE(p.args().empty());

    p = decode("3/admin,13[\"bar\"]");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 13u);
    ASSERT_EQ(p.args().size(), 1u);
    EXPECT_EQ(p.args()[0], "\"bar\"");
}

TEST(SocketioDecode, BinaryEvents) {
    Packet p = decode("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]");
    EXPECT_EQ(p.type, PacketType::binary_event);
    EXPECT_EQ(p.attachments, 1u);
    EXPECT_TRUE(p.is_event());
    ASSERT_EQ(p.args().size(), 1u);
    EXPECT_EQ(p.args()[0], "{\"_placeholder\":true,\"num\":0}");

    p = decode(
        "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    EXPECT_EQ(p.attachments, 2u);
    EXPECT_EQ(p.nsp, "/admin");

    p = decode("51-14[\"foo\",{\"_placeholder\":true,\"num\":0}]");
    EXPECT_EQ(*p.id, 14u);

    // Nested placeholders, in any order.
    p = decode(
        "52-[\"up\",{\"files\":[{\"_placeholder\":true,\"num\":1},"
        "{\"name\":\"a\",\"data\":{\"num\":0,\"_placeholder\":true}}]}]");
    EXPECT_EQ(p.attachments, 2u);
}

TEST(SocketioDecode, BinaryAck) {
    const Packet p = decode("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
    EXPECT_EQ(p.type, PacketType::binary_ack);
    EXPECT_TRUE(p.is_ack());
    EXPECT_EQ(*p.id, 15u);
    ASSERT_EQ(p.args().size(), 2u);  // an ack has no name: every element is an argument
}

TEST(SocketioDecode, SampleSessionBinaryAckWithNamespace) {
    const Packet p = decode("61-/admin,1[{\"_placeholder\":true,\"num\":0}]");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 1u);
    EXPECT_EQ(p.attachments, 1u);
}

TEST(SocketioDecode, WhitespaceAroundJsonIsJson) {
    const Packet p = decode("2[\"a\"] \n");
    EXPECT_EQ(p.data, "[\"a\"]");
}

TEST(SocketioDecode, LargestAckId) {
    const Packet p = decode("29007199254740991[\"a\"]");
    EXPECT_EQ(*p.id, kMaxAckId);
}

TEST(SocketioDecode, ReusedPacketIsReset) {
    Packet p;
    ASSERT_FALSE(decode_packet("2/admin,5[\"a\",1]", p));
    ASSERT_FALSE(decode_packet("0", p));
    EXPECT_EQ(p.nsp, "/");
    EXPECT_FALSE(p.id);
    EXPECT_TRUE(p.items.empty());
    EXPECT_TRUE(p.data.empty());
}

// --- errors ---------------------------------------------------------------------

TEST(SocketioDecode, Errors) {
    const std::vector<std::pair<std::string, std::error_code>> cases = {
        {"", Errc::empty_packet},
        {"7", Errc::unknown_packet_type},
        {"9[\"a\"]", Errc::unknown_packet_type},
        {"x", Errc::unknown_packet_type},
        {"5-[\"a\"]", Errc::bad_attachment_count},
        {"50-[\"a\"]", Errc::bad_attachment_count},
        {"5x-[\"a\"]", Errc::bad_attachment_count},
        {"51[\"a\"]", Errc::bad_attachment_count},
        {"51", Errc::bad_attachment_count},
        {"511-[\"a\"]", Errc::too_many_attachments},
        {"599999999999999999999-[\"a\"]", Errc::too_many_attachments},
        {"2/ad\nmin,[\"a\"]", Errc::bad_namespace},
        {"2/ad\x7fmin,[\"a\"]", Errc::bad_namespace},
        {"290071992547409920[\"a\"]", Errc::bad_ack_id},
        {"29007199254740992[\"a\"]", Errc::bad_ack_id},
        {"012{}", Errc::unexpected_ack_id},
        {"0/admin,12{}", Errc::unexpected_ack_id},
        {"11", Errc::unexpected_ack_id},
        {"45{\"message\":\"x\"}", Errc::unexpected_ack_id},
        {"3[]", Errc::missing_ack_id},
        {"3/admin,[\"x\"]", Errc::missing_ack_id},
        {"2", Errc::missing_payload},
        {"2/admin,", Errc::missing_payload},
        {"212", Errc::missing_payload},
        {"312", Errc::missing_payload},
        {"4", Errc::missing_payload},
        {"1/admin,{}", Errc::unexpected_payload},
        {"1[]", Errc::unexpected_payload},
        {"0[]", Errc::payload_not_object},
        {"0\"token\"", Errc::payload_not_object},
        {"4[]", Errc::bad_connect_error},
        {"4true", Errc::bad_connect_error},
        {"42", Errc::unexpected_ack_id},  // digits after the type are an ack id
        {"2{\"a\":1}", Errc::payload_not_array},
        {"2\"message\"", Errc::payload_not_array},
        {"31{}", Errc::payload_not_array},
        {"2[]", Errc::missing_event_name},
        {"2[1]", Errc::event_name_not_string},
        {"2[{\"a\":1}]", Errc::event_name_not_string},
        {"2[null,\"x\"]", Errc::event_name_not_string},
        {"2[\"connect\"]", Errc::reserved_event_name},
        {"2[\"disconnect\",1]", Errc::reserved_event_name},
        {"2[\"disconnecting\"]", Errc::reserved_event_name},
        {"2[\"connect_error\"]", Errc::reserved_event_name},
        {"2[\"newListener\"]", Errc::reserved_event_name},
        {"2[\"removeListener\"]", Errc::reserved_event_name},
        {"2[\"conn\\u0065ct\"]", Errc::reserved_event_name},  // escaped, still reserved
        {"51-[\"a\",{\"_placeholder\":true,\"num\":1}]", Errc::bad_placeholder},
        {"51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", Errc::bad_placeholder},
        {"51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", Errc::bad_placeholder},
        {"51-[\"a\",{\"_placeholder\":true,\"num\":0.0}]", Errc::bad_placeholder},
        {"51-[\"a\",{\"_placeholder\":true}]", Errc::bad_placeholder},
        {"52-[\"a\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}]",
         Errc::bad_placeholder},
        {"51-[\"a\"]", Errc::attachment_mismatch},
        {"52-[\"a\",{\"_placeholder\":true,\"num\":0}]", Errc::attachment_mismatch},
        {"51-[\"a\",{\"_placeholder\":false,\"num\":0}]", Errc::attachment_mismatch},
        {"61-1[]", Errc::attachment_mismatch},
        {"61-[{\"_placeholder\":true,\"num\":0}]", Errc::missing_ack_id},
        {"2[\"a\"", json::Errc::unexpected_end},
        {"2[\"a\",]", json::Errc::unexpected_character},
        {"2[\"a\"]x", json::Errc::trailing_characters},
        {"2[\"a\"] [1]", json::Errc::trailing_characters},
        {"2[\"\xff\"]", json::Errc::bad_utf8},
        {"0{\"token\":}", json::Errc::unexpected_character},
        {"2 ", json::Errc::empty},
    };
    for (const auto& [text, expected] : cases) {
        EXPECT_EQ(decode_error(text), expected) << text;
    }
}

TEST(SocketioDecode, Limits) {
    EXPECT_EQ(decode_error("52-[\"a\",{\"_placeholder\":true,\"num\":0},"
                           "{\"_placeholder\":true,\"num\":1}]",
                           {.max_attachments = 1}),
              Errc::too_many_attachments);
    const std::string nsp = "/" + std::string(255, 'n');
    EXPECT_FALSE(decode_error("2" + nsp + ",[\"a\"]"));
    EXPECT_EQ(decode_error("2" + nsp + "n,[\"a\"]"), Errc::bad_namespace);
    EXPECT_EQ(decode_error("2" + nsp + ",[\"a\"]", {.max_namespace_length = 10}),
              Errc::bad_namespace);
    EXPECT_EQ(decode_error("2[\"a\",[[[]]]]", {.json = {.max_depth = 3}}), json::Errc::too_deep);
    EXPECT_FALSE(decode_error("2[\"a\",[[]]]", {.json = {.max_depth = 3}}));
}

TEST(SocketioDecode, ErrorMessagesArePinned) {
    const std::vector<std::pair<Errc, std::string>> messages = {
        {Errc::empty_packet, "empty packet"},
        {Errc::unknown_packet_type, "unknown packet type"},
        {Errc::bad_attachment_count, "invalid attachment count"},
        {Errc::too_many_attachments, "too many attachments"},
        {Errc::bad_namespace, "invalid namespace"},
        {Errc::bad_ack_id, "invalid ack id"},
        {Errc::unexpected_ack_id, "ack id not allowed on this packet type"},
        {Errc::missing_ack_id, "ACK without an ack id"},
        {Errc::missing_payload, "missing payload"},
        {Errc::unexpected_payload, "DISCONNECT must not carry a payload"},
        {Errc::payload_not_object, "CONNECT payload must be an object"},
        {Errc::bad_connect_error, "CONNECT_ERROR payload must be an object or a string"},
        {Errc::payload_not_array, "payload must be an array"},
        {Errc::missing_event_name, "EVENT payload must not be empty"},
        {Errc::event_name_not_string, "event name must be a string"},
        {Errc::reserved_event_name, "reserved event name"},
        {Errc::bad_placeholder, "invalid attachment placeholder"},
        {Errc::attachment_mismatch, "attachment placeholders do not match the attachment count"},
        {Errc::unexpected_binary, "binary frame without a pending binary packet"},
        {Errc::unexpected_text, "text frame while binary attachments are pending"},
        {Errc::attachments_too_large, "binary attachments exceed the size limit"},
        {Errc::message_not_object, "message must be a JSON object"},
    };
    for (const auto& [errc, text] : messages) {
        EXPECT_EQ(make_error_code(errc).message(), text);
    }
    EXPECT_STREQ(socketio_category().name(), "relay.websocket.socketio");
}

TEST(SocketioDecode, ReservedEventNames) {
    EXPECT_TRUE(is_reserved_event_name("connect"));
    EXPECT_TRUE(is_reserved_event_name("removeListener"));
    EXPECT_FALSE(is_reserved_event_name("message"));
    EXPECT_FALSE(is_reserved_event_name("Connect"));
}

// --- the reassembler -------------------------------------------------------------

TEST(SocketioDecoder, TextPacketsPassStraightThrough) {
    Decoder decoder;
    Packet p;
    bool ready = false;
    const std::string text = "2[\"message\",{\"a\":1}]";
    ASSERT_FALSE(decoder.feed_text(text, p, ready));
    EXPECT_TRUE(ready);
    EXPECT_EQ(p.args()[0].data(), text.data() + text.find('{'));  // zero copy
    EXPECT_FALSE(decoder.pending());
}

TEST(SocketioDecoder, ReassemblesABinaryEvent) {
    Decoder decoder;
    Packet p;
    bool ready = true;
    {
        // The header frame's buffer is gone once fed: the decoder keeps its own copy.
        std::string header =
            "52-/admin,7[\"upload\",{\"_placeholder\":true,\"num\":0},"
            "{\"_placeholder\":true,\"num\":1}]";
        ASSERT_FALSE(decoder.feed_text(header, p, ready));
        EXPECT_FALSE(ready);
        header.assign(header.size(), 'X');
    }
    EXPECT_TRUE(decoder.pending());
    ASSERT_FALSE(decoder.feed_binary("\x01\x02"s, p, ready));
    EXPECT_FALSE(ready);
    ASSERT_FALSE(decoder.feed_binary("\x03\x04"s, p, ready));
    ASSERT_TRUE(ready);
    EXPECT_FALSE(decoder.pending());
    EXPECT_EQ(p.type, PacketType::binary_event);
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 7u);
    EXPECT_TRUE(json::string_equals(p.event_name(), "upload"));
    ASSERT_EQ(p.args().size(), 2u);
    EXPECT_EQ(p.args()[1], "{\"_placeholder\":true,\"num\":1}");
    const auto attachments = decoder.take_attachments();
    ASSERT_EQ(attachments.size(), 2u);
    EXPECT_EQ(attachments[0], "\x01\x02"s);
    EXPECT_EQ(attachments[1], "\x03\x04"s);

    // And the next packet decodes normally.
    ASSERT_FALSE(decoder.feed_text("2[\"x\"]", p, ready));
    EXPECT_TRUE(ready);
}

TEST(SocketioDecoder, BinaryAckWithEmptyAttachment) {
    Decoder decoder;
    Packet p;
    bool ready = false;
    ASSERT_FALSE(decoder.feed_text("61-3[{\"_placeholder\":true,\"num\":0}]", p, ready));
    ASSERT_FALSE(decoder.feed_binary({}, p, ready));
    ASSERT_TRUE(ready);
    EXPECT_EQ(p.type, PacketType::binary_ack);
    EXPECT_EQ(decoder.take_attachments().at(0), "");
}

TEST(SocketioDecoder, Errors) {
    Packet p;
    bool ready = false;
    {
        Decoder decoder;
        EXPECT_EQ(decoder.feed_binary("\x01"s, p, ready), Errc::unexpected_binary);
    }
    {
        Decoder decoder;
        ASSERT_FALSE(decoder.feed_text("51-[\"a\",{\"_placeholder\":true,\"num\":0}]", p, ready));
        EXPECT_EQ(decoder.feed_text("2[\"b\"]", p, ready), Errc::unexpected_text);
        EXPECT_FALSE(decoder.pending());  // the half packet is dropped
    }
    {
        Decoder decoder({.packet = {}, .max_attachment_bytes = 4});
        ASSERT_FALSE(decoder.feed_text(
            "52-[\"a\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", p,
            ready));
        ASSERT_FALSE(decoder.feed_binary("abc", p, ready));
        EXPECT_EQ(decoder.feed_binary("de", p, ready), Errc::attachments_too_large);
        EXPECT_FALSE(decoder.pending());
    }
    {
        Decoder decoder({.packet = {.max_attachments = 1}, .max_attachment_bytes = 100});
        EXPECT_EQ(decoder.feed_text("52-[\"a\",{\"_placeholder\":true,\"num\":0},"
                                    "{\"_placeholder\":true,\"num\":1}]",
                                    p, ready),
                  Errc::too_many_attachments);
        EXPECT_FALSE(decoder.pending());
        EXPECT_EQ(decoder.feed_text("51-[\"a\"]", p, ready), Errc::attachment_mismatch);
        EXPECT_EQ(decoder.feed_text("", p, ready), Errc::empty_packet);
    }
    {
        Decoder decoder;
        ASSERT_FALSE(decoder.feed_text("51-[\"a\",{\"_placeholder\":true,\"num\":0}]", p, ready));
        decoder.reset();
        EXPECT_FALSE(decoder.pending());
        EXPECT_EQ(decoder.feed_binary("x", p, ready), Errc::unexpected_binary);
    }
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio
