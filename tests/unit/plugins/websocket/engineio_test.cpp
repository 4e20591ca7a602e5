// Engine.IO v4: packets, polling payloads, base64, the open packet, HTTP errors and the
// handshake query. Expected bytes come from the protocol document and from
// engine.io-parser 5 / engine.io 6 (the JS reference implementation).
#include "engineio/base64.hpp"
#include "engineio/handshake.hpp"
#include "engineio/packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace relay::plugins::websocket::engineio {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

Packet decode_text(std::string_view text, std::error_code* ec_out = nullptr) {
    Packet p;
    std::string scratch;
    const auto ec = decode_frame(Frame{text, false}, p, scratch);
    if (ec_out) *ec_out = ec;
    return p;
}

// --- packets -------------------------------------------------------------------

TEST(EngineioPacket, DecodesEveryTextPacketType) {
    const std::array<std::pair<std::string_view, PacketType>, 7> cases = {{
        {"0{\"sid\":\"x\"}", PacketType::open},
        {"1", PacketType::close},
        {"2probe", PacketType::ping},
        {"3probe", PacketType::pong},
        {"4hello", PacketType::message},
        {"5", PacketType::upgrade},
        {"6", PacketType::noop},
    }};
    for (const auto& [text, type] : cases) {
        std::error_code ec;
        const Packet p = decode_text(text, &ec);
        ASSERT_FALSE(ec) << text;
        EXPECT_EQ(p.type, type) << text;
        EXPECT_EQ(p.data, text.substr(1));
        EXPECT_FALSE(p.binary);
    }
}

TEST(EngineioPacket, DataIsAViewIntoTheFrame) {
    const std::string frame = "42[\"message\",{\"text\":\"hi\"}]";
    const Packet p = decode_text(frame);
    EXPECT_EQ(p.data.data(), frame.data() + 1);
}

TEST(EngineioPacket, MessageKeepsUtf8Verbatim) {
    const Packet p = decode_text("4€ 😀");
    EXPECT_EQ(p.type, PacketType::message);
    EXPECT_EQ(p.data, "€ 😀");
}

TEST(EngineioPacket, BinaryFrameIsAMessageWithoutTypeByte) {
    const std::string bytes = "\x01\x02\x03\x04"s;
    Packet p;
    std::string scratch;
    ASSERT_FALSE(decode_frame(Frame{bytes, true}, p, scratch));
    EXPECT_EQ(p.type, PacketType::message);
    EXPECT_TRUE(p.binary);
    EXPECT_EQ(p.data, bytes);
}

TEST(EngineioPacket, EmptyBinaryFrameIsAnEmptyMessage) {
    Packet p;
    std::string scratch;
    ASSERT_FALSE(decode_frame(Frame{{}, true}, p, scratch));
    EXPECT_TRUE(p.binary);
    EXPECT_TRUE(p.data.empty());
}

TEST(EngineioPacket, Base64TextFrameIsABinaryMessage) {
    Packet p;
    std::string scratch;
    ASSERT_FALSE(decode_frame(Frame{"bAQIDBA==", false}, p, scratch));
    EXPECT_EQ(p.type, PacketType::message);
    EXPECT_TRUE(p.binary);
    EXPECT_EQ(p.data, "\x01\x02\x03\x04"s);
}

TEST(EngineioPacket, Errors) {
    std::error_code ec;
    decode_text("", &ec);
    EXPECT_EQ(ec, Errc::empty_packet);
    EXPECT_EQ(ec.message(), "empty packet");
    decode_text("7", &ec);
    EXPECT_EQ(ec, Errc::unknown_packet_type);
    EXPECT_EQ(ec.message(), "unknown packet type");
    decode_text("x4", &ec);
    EXPECT_EQ(ec, Errc::unknown_packet_type);
    decode_text("b@@@@", &ec);
    EXPECT_EQ(ec, Errc::bad_base64);
    EXPECT_EQ(ec.message(), "invalid base64 in binary packet");
    EXPECT_STREQ(ec.category().name(), "relay.websocket.engineio");
}

TEST(EngineioPacket, EncodesTextPackets) {
    EXPECT_EQ(encode_packet(PacketType::ping), "2");
    EXPECT_EQ(encode_packet(PacketType::pong, "probe"), "3probe");
    EXPECT_EQ(encode_packet(PacketType::message, "hello"), "4hello");
    EXPECT_EQ(encode_packet(PacketType::noop), "6");
    EXPECT_EQ(encode_packet(PacketType::close), "1");
    std::string out = "x";
    append_packet(out, PacketType::upgrade);
    EXPECT_EQ(out, "x5");
}

TEST(EngineioPacket, TextRoundTrip) {
    for (int t = 0; t <= 6; ++t) {
        const auto type = static_cast<PacketType>(t);
        const std::string wire = encode_packet(type, "data €");
        const Packet p = decode_text(wire);
        EXPECT_EQ(p.type, type);
        EXPECT_EQ(p.data, "data €");
    }
}

// --- polling payloads ----------------------------------------------------------

TEST(EngineioPayload, DecodesTheSpecExample) {
    // engine.io-protocol v4: 4hello\x1e4€\x1ebAQIDBA==
    const std::string body =
        "4hello\x1e"
        "4€\x1e"
        "bAQIDBA==";
    std::vector<Frame> frames;
    std::string storage;
    ASSERT_FALSE(decode_payload(body, frames, storage));
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].bytes, "4hello");
    EXPECT_FALSE(frames[0].binary);
    EXPECT_EQ(frames[1].bytes, "4€");
    EXPECT_TRUE(frames[2].binary);
    EXPECT_EQ(frames[2].bytes, "\x01\x02\x03\x04"s);
}

TEST(EngineioPayload, SingleRecord) {
    std::vector<Frame> frames;
    std::string storage;
    ASSERT_FALSE(decode_payload("40", frames, storage));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].bytes, "40");
}

TEST(EngineioPayload, SocketioSampleSession) {
    // socket.io-protocol sample: two events in one POST.
    const std::string body =
        "42[\"hello\"]\x1e"
        "42[\"world\"]";
    std::vector<Frame> frames;
    std::string storage;
    ASSERT_FALSE(decode_payload(body, frames, storage));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].bytes, "42[\"hello\"]");
    EXPECT_EQ(frames[1].bytes, "42[\"world\"]");
}

TEST(EngineioPayload, EmptyBodyIsAnError) {
    // engine.io-parser: decodePayload("") yields a parser error packet.
    std::vector<Frame> frames;
    std::string storage;
    EXPECT_EQ(decode_payload("", frames, storage), Errc::empty_packet);
}

TEST(EngineioPayload, TrailingSeparatorIsAnError) {
    // engine.io-parser: decodePayload("4a\x1e") yields [message "a", error].
    std::vector<Frame> frames;
    std::string storage;
    EXPECT_EQ(decode_payload("4a\x1e", frames, storage), Errc::empty_packet);
    EXPECT_EQ(decode_payload("\x1e"
                             "4a",
                             frames, storage),
              Errc::empty_packet);
    EXPECT_EQ(decode_payload("4a\x1e\x1e"
                             "4b",
                             frames, storage),
              Errc::empty_packet);
}

TEST(EngineioPayload, BadRecords) {
    std::vector<Frame> frames;
    std::string storage;
    EXPECT_EQ(decode_payload("4a\x1e"
                             "9",
                             frames, storage),
              Errc::unknown_packet_type);
    EXPECT_EQ(decode_payload("4a\x1e"
                             "b!!!!",
                             frames, storage),
              Errc::bad_base64);
}

TEST(EngineioPayload, TextThatIsNotUtf8IsAnError) {
    // The body is text; a WebSocket text frame with these bytes would close with 1007.
    std::vector<Frame> frames;
    std::string storage;
    EXPECT_EQ(decode_payload("42[\"message\",{\"t\":\"\xff\"}]", frames, storage), Errc::bad_utf8);
    EXPECT_EQ(decode_payload("3\x1e"
                             "4\xc0\x80",
                             frames, storage),
              Errc::bad_utf8);
    EXPECT_EQ(decode_payload("4abc\xe2\x82", frames, storage), Errc::bad_utf8);
    EXPECT_EQ(make_error_code(Errc::bad_utf8).message(), "payload is not valid UTF-8");
    ASSERT_FALSE(decode_payload("4h\xc3\xa9llo \xf0\x9f\x98\x80", frames, storage));
    EXPECT_EQ(frames.at(0).bytes, "4h\xc3\xa9llo \xf0\x9f\x98\x80");
}

TEST(EngineioPayload, TooManyRecords) {
    std::vector<Frame> frames;
    std::string storage;
    const std::string body =
        "6\x1e"
        "6\x1e"
        "6";
    EXPECT_FALSE(decode_payload(body, frames, storage, 3));
    EXPECT_EQ(decode_payload(body, frames, storage, 2), Errc::too_many_packets);
    EXPECT_EQ(make_error_code(Errc::too_many_packets).message(), "too many packets in payload");
}

TEST(EngineioPayload, ManyBinaryRecordsKeepTheirViewsValid) {
    // Tiny and empty base64 records: the worst case for the storage reservation.
    std::string body;
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        if (i) body.push_back(kRecordSeparator);
        const std::string bytes(static_cast<std::size_t>(i % 4), static_cast<char>('A' + i));
        body += "b" + base64_encode(bytes);
        expected.push_back(bytes);
    }
    std::vector<Frame> frames;
    std::string storage;
    ASSERT_FALSE(decode_payload(body, frames, storage));
    ASSERT_EQ(frames.size(), expected.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_TRUE(frames[i].binary);
        EXPECT_EQ(frames[i].bytes, expected[i]) << i;
    }
}

TEST(EngineioPayload, EncodesTheSpecExample) {
    // engine.io-parser encodePayload([message "€", message <01 02 03 04>])
    const std::string bin = "\x01\x02\x03\x04"s;
    const std::array<Frame, 2> frames = {Frame{"4€", false}, Frame{bin, true}};
    const std::string body = encode_payload(frames);
    EXPECT_EQ(body,
              "4€\x1e"
              "bAQIDBA==");
    EXPECT_EQ(body.size(), payload_size(frames));
}

TEST(EngineioPayload, EncodesEmptyAndSingle) {
    EXPECT_EQ(encode_payload({}), "");
    const std::array<Frame, 1> one = {Frame{"3", false}};
    EXPECT_EQ(encode_payload(one), "3");
    const std::array<Frame, 1> empty_bin = {Frame{{}, true}};
    EXPECT_EQ(encode_payload(empty_bin), "b");
}

TEST(EngineioPayload, RoundTripMixed) {
    const std::string bin1 = "\x00\xff\x10 binary"s;
    const std::string bin2(1000, '\x7f');
    const std::array<Frame, 5> in = {Frame{"40", false}, Frame{bin1, true},
                                     Frame{"42[\"a\",\"€\"]", false}, Frame{bin2, true},
                                     Frame{"2", false}};
    const std::string body = encode_payload(in);
    std::vector<Frame> out;
    std::string storage;
    ASSERT_FALSE(decode_payload(body, out, storage));
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(out[i].binary, in[i].binary) << i;
        EXPECT_EQ(out[i].bytes, in[i].bytes) << i;
    }
}

// --- base64 ---------------------------------------------------------------------

TEST(EngineioBase64, KnownVectors) {
    // RFC 4648 section 10.
    const std::array<std::pair<std::string_view, std::string_view>, 7> v = {{
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    }};
    for (const auto& [plain, encoded] : v) {
        EXPECT_EQ(base64_encode(plain), encoded);
        std::string decoded;
        ASSERT_TRUE(append_base64_decoded(decoded, encoded)) << encoded;
        EXPECT_EQ(decoded, plain);
    }
}

TEST(EngineioBase64, RoundTripsEveryByteAndLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t len = 0; len <= all.size(); len += 7) {
        const std::string_view in(all.data(), len);
        const std::string enc = base64_encode(in);
        EXPECT_EQ(enc.size(), base64_encoded_size(len));
        std::string dec;
        ASSERT_TRUE(append_base64_decoded(dec, enc));
        EXPECT_EQ(dec, in);
    }
}

TEST(EngineioBase64, AcceptsMissingPadding) {
    // Node's Buffer.from("AQI", "base64") is <01 02>.
    std::string out;
    ASSERT_TRUE(append_base64_decoded(out, "AQI"));
    EXPECT_EQ(out, "\x01\x02"s);
    out.clear();
    ASSERT_TRUE(append_base64_decoded(out, "Zg"));
    EXPECT_EQ(out, "f");
}

TEST(EngineioBase64, RejectsBadInputAndLeavesOutputAlone) {
    for (const std::string_view bad : {"Z", "Zg=", "Zm9v=", "Zg===", "Z===", "Zm 9v", "Zm9v\n",
                                       "Zm-v", "Zm_v", "=Zm9", "Zg==Zg==", "Zm9v$"}) {
        std::string out = "keep";
        EXPECT_FALSE(append_base64_decoded(out, bad)) << bad;
        EXPECT_EQ(out, "keep") << bad;
    }
}

TEST(EngineioBase64, AppendsAfterExistingContent) {
    std::string out = "b";
    append_base64(out, "\x01\x02\x03\x04"s);
    EXPECT_EQ(out, "bAQIDBA==");
}

// --- open packet ----------------------------------------------------------------

TEST(EngineioOpen, MatchesTheReferenceServer) {
    // socket.io-protocol sample session, request n°1.
    const std::array<std::string_view, 1> upgrades = {"websocket"};
    const std::string open = encode_open({.sid = "lv_VI97HAXpY6yYWAAAC",
                                          .upgrades = upgrades,
                                          .ping_interval_ms = 25000,
                                          .ping_timeout_ms = 5000,
                                          .max_payload = 1000000});
    EXPECT_EQ(open,
              "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
              "\"pingInterval\":25000,\"pingTimeout\":5000,\"maxPayload\":1000000}");
}

TEST(EngineioOpen, WebSocketHandshakeHasNoUpgrades) {
    const std::string open = encode_open({.sid = "abc", .upgrades = {}});
    EXPECT_EQ(open,
              "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
              "\"maxPayload\":1000000}");
}

// --- HTTP errors ----------------------------------------------------------------

TEST(EngineioHttpError, BodiesAsTheReferenceServerSendsThem) {
    EXPECT_EQ(http_error_body(HttpError::unknown_transport),
              R"({"code":0,"message":"Transport unknown"})");
    EXPECT_EQ(http_error_body(HttpError::unknown_sid),
              R"({"code":1,"message":"Session ID unknown"})");
    EXPECT_EQ(http_error_body(HttpError::bad_handshake_method),
              R"({"code":2,"message":"Bad handshake method"})");
    EXPECT_EQ(http_error_body(HttpError::bad_request), R"({"code":3,"message":"Bad request"})");
    EXPECT_EQ(http_error_body(HttpError::forbidden), R"({"code":4,"message":"Forbidden"})");
    EXPECT_EQ(http_error_body(HttpError::unsupported_protocol_version),
              R"({"code":5,"message":"Unsupported protocol version"})");
}

TEST(EngineioHttpError, StatusAndCustomMessage) {
    EXPECT_EQ(http_error_status(HttpError::forbidden), 403u);
    EXPECT_EQ(http_error_status(HttpError::bad_request), 400u);
    EXPECT_EQ(http_error_status(HttpError::unknown_sid), 400u);
    EXPECT_EQ(http_error_body(HttpError::forbidden, "Not \"allowed\"\n"),
              R"({"code":4,"message":"Not \"allowed\"\n"})");
    EXPECT_EQ(http_error_message(HttpError::unknown_transport), "Transport unknown");
}

// --- handshake query ------------------------------------------------------------

TEST(EngineioQuery, ParsesTheHandshakeTarget) {
    const Query q = parse_query("/socket.io/?EIO=4&transport=polling&t=N8hyd6w");
    EXPECT_EQ(q.path, "/socket.io/");
    EXPECT_EQ(q.eio, "4");
    EXPECT_EQ(q.transport, "polling");
    EXPECT_EQ(q.t, "N8hyd6w");
    EXPECT_TRUE(q.sid.empty());
}

TEST(EngineioQuery, ParsesSidAndDecodes) {
    const Query q = parse_query(
        "/socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC&x=1&sid=a%2Bb+c%zz");
    EXPECT_EQ(q.transport, "websocket");
    EXPECT_EQ(q.sid, "a+b c%zz");  // the last sid wins; %2B and + decoded; %zz kept
}

TEST(EngineioQuery, EdgeCases) {
    EXPECT_EQ(parse_query("/socket.io/").path, "/socket.io/");
    EXPECT_TRUE(parse_query("/socket.io/").eio.empty());
    const Query q = parse_query("/p?&&EIO&transport=&sid=#frag&EIO=3");
    EXPECT_EQ(q.path, "/p");
    EXPECT_TRUE(q.eio.empty());
    EXPECT_TRUE(q.transport.empty());
    EXPECT_TRUE(q.sid.empty());
    EXPECT_EQ(parse_query("/?%45IO=4").eio, "4");  // keys are decoded too
}

TEST(EngineioQuery, ChecksInTheReferenceOrder) {
    const auto check = [](std::string_view target, std::string_view method, bool upgrade,
                          RequestPolicy policy = {}) {
        return check_request(parse_query(target), method, upgrade, policy);
    };
    EXPECT_EQ(check("/s/?EIO=4&transport=polling", "GET", false), std::nullopt);
    EXPECT_EQ(check("/s/?EIO=4&transport=websocket", "GET", true), std::nullopt);
    EXPECT_EQ(check("/s/?EIO=4&transport=flash", "GET", false), HttpError::unknown_transport);
    EXPECT_EQ(check("/s/?EIO=4", "GET", false), HttpError::unknown_transport);
    EXPECT_EQ(check("/s/?EIO=4&transport=polling", "GET", false, {.polling = false}),
              HttpError::unknown_transport);
    EXPECT_EQ(check("/s/?EIO=4&transport=polling", "POST", false), HttpError::bad_handshake_method);
    EXPECT_EQ(check("/s/?EIO=4&transport=websocket", "GET", false), HttpError::bad_request);
    EXPECT_EQ(check("/s/?EIO=3&transport=polling", "GET", false),
              HttpError::unsupported_protocol_version);
    EXPECT_EQ(check("/s/?transport=polling", "GET", false),
              HttpError::unsupported_protocol_version);
    // With a sid the session lookup is the caller's: POST is fine, EIO not re-checked.
    EXPECT_EQ(check("/s/?EIO=4&transport=polling&sid=abc", "POST", false), std::nullopt);
    EXPECT_EQ(check("/s/?transport=nope&sid=abc", "POST", false), HttpError::unknown_transport);
}

}  // namespace
}  // namespace relay::plugins::websocket::engineio
