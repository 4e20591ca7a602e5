// RFC 6455 framing: server frame headers at each length boundary, and the client
// frame parser on whole, partial and invalid frames.
#include "rfc6455/frame.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::plugins::websocket::rfc6455 {
namespace {

std::string client_frame(std::uint8_t first, const std::string& payload, bool mask = true) {
    std::string out(1, static_cast<char>(first));
    const std::uint8_t mask_bit = mask ? 0x80 : 0;
    if (payload.size() < 126) {
        out += static_cast<char>(mask_bit | payload.size());
    } else if (payload.size() <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xFF);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
    }
    if (!mask) return out + payload;
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(payload[i] ^ key[i & 3]);
    return out;
}

ParseResult parse(std::string& bytes, std::size_t max = 1 << 20) {
    return parse_client_frame(bytes.data(), bytes.size(), max);
}

TEST(Rfc6455, ServerHeadersUseTheShortestLength) {
    EXPECT_EQ(server_header(Opcode::text, 0).view(), std::string("\x81\x00", 2));
    EXPECT_EQ(server_header(Opcode::text, 125).view(), std::string("\x81\x7D", 2));
    EXPECT_EQ(server_header(Opcode::binary, 126).view(), std::string("\x82\x7E\x00\x7E", 4));
    EXPECT_EQ(server_header(Opcode::text, 65535).view(), std::string("\x81\x7E\xFF\xFF", 4));
    EXPECT_EQ(server_header(Opcode::text, 65536).view(),
              std::string("\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    EXPECT_EQ(server_close(CloseCode::too_big).view(), std::string("\x88\x02\x03\xF1", 4));
}

TEST(Rfc6455, AMaskedFrameIsUnmaskedInPlace) {
    for (const std::size_t size : {0UL, 5UL, 125UL, 126UL, 70000UL}) {
        const std::string payload(size, 'q');
        auto bytes = client_frame(0x81, payload) + "next";
        const auto r = parse(bytes);
        ASSERT_EQ(r.status, ParseStatus::frame) << size;
        EXPECT_EQ(r.frame.opcode, Opcode::text);
        EXPECT_TRUE(r.frame.fin);
        EXPECT_EQ(r.frame.payload, payload);
        EXPECT_EQ(r.consumed, bytes.size() - 4) << "stops at the frame's end";
    }
}

TEST(Rfc6455, EveryPrefixOfAFrameNeedsMore) {
    const auto whole = client_frame(0x82, std::string(300, 'b'));
    for (std::size_t n = 0; n < whole.size(); ++n) {
        std::string part = whole.substr(0, n);
        EXPECT_EQ(parse(part).status, ParseStatus::need_more) << n;
    }
}

TEST(Rfc6455, WhatAClientMustNotSendIsAProtocolError) {
    std::string unmasked = client_frame(0x81, "2", false);
    EXPECT_EQ(parse(unmasked).status, ParseStatus::protocol_error);
    std::string reserved_bit = client_frame(0xC1, "2");
    EXPECT_EQ(parse(reserved_bit).status, ParseStatus::protocol_error);
    std::string reserved_opcode = client_frame(0x83, "2");
    EXPECT_EQ(parse(reserved_opcode).status, ParseStatus::protocol_error);
    std::string fragmented_ping = client_frame(0x09, "x");
    EXPECT_EQ(parse(fragmented_ping).status, ParseStatus::protocol_error);
    std::string long_ping = client_frame(0x89, std::string(126, 'x'));
    EXPECT_EQ(parse(long_ping).status, ParseStatus::protocol_error);
    std::string top_bit = std::string("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x01", 10);
    EXPECT_EQ(parse(top_bit).status, ParseStatus::protocol_error);
}

TEST(Rfc6455, APayloadOverTheLimitIsRefusedFromItsHeader) {
    std::string header = client_frame(0x82, std::string(2000, 'x')).substr(0, 4);
    EXPECT_EQ(parse(header, 1000).status, ParseStatus::too_big);
    std::string at_limit = client_frame(0x82, std::string(1000, 'x'));
    EXPECT_EQ(parse(at_limit, 1000).status, ParseStatus::frame);
}

TEST(Rfc6455, ContinuationAndControlFramesKeepTheirOpcodeAndFin) {
    std::string first = client_frame(0x01, "ab");
    auto r = parse(first);
    ASSERT_EQ(r.status, ParseStatus::frame);
    EXPECT_EQ(r.frame.opcode, Opcode::text);
    EXPECT_FALSE(r.frame.fin);
    std::string last = client_frame(0x80, "cd");
    r = parse(last);
    EXPECT_EQ(r.frame.opcode, Opcode::continuation);
    EXPECT_TRUE(r.frame.fin);
    std::string close = client_frame(0x88, std::string("\x03\xE8", 2));
    r = parse(close);
    EXPECT_EQ(r.frame.opcode, Opcode::close);
    EXPECT_EQ(r.frame.payload, std::string("\x03\xE8", 2));
}

}  // namespace
}  // namespace relay::plugins::websocket::rfc6455
