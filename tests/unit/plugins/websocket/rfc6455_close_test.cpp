// The answer to a client's close frame (RFC 6455 5.5.1, 7.4): echo a valid code, 1000
// for none, 1002 for a 1-byte body or a code no endpoint may send, 1007 for a reason
// that is not UTF-8.
#include "rfc6455/close.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::plugins::websocket::rfc6455 {
namespace {

std::string body(std::uint16_t code, const std::string& reason = {}) {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + reason;
}

TEST(Rfc6455Close, ValidCodesAreTheDefinedAndTheApplicationRanges) {
    for (unsigned code = 0; code <= 0xFFFF; ++code) {
        const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                              (code >= 3000 && code <= 4999);
        EXPECT_EQ(valid_close_code(static_cast<std::uint16_t>(code)), expected) << code;
    }
}

TEST(Rfc6455Close, AValidCloseIsEchoed) {
    const auto none = reply_to_close("");
    EXPECT_EQ(none.code, CloseCode::normal);
    EXPECT_FALSE(none.protocol_violation);
    for (const std::uint16_t code : {1000, 1001, 1003, 1011, 1014, 3000, 4000, 4999}) {
        const auto reply = reply_to_close(body(code, "bye \xe2\x9c\x93"));
        EXPECT_EQ(static_cast<std::uint16_t>(reply.code), code);
        EXPECT_FALSE(reply.protocol_violation) << code;
    }
}

TEST(Rfc6455Close, AnInvalidCloseIsAProtocolError) {
    const auto one_byte = reply_to_close(std::string(1, '\x03'));
    EXPECT_EQ(one_byte.code, CloseCode::protocol_error);
    EXPECT_TRUE(one_byte.protocol_violation);
    for (const std::uint16_t code :
         {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        const auto reply = reply_to_close(body(code));
        EXPECT_EQ(reply.code, CloseCode::protocol_error) << code;
        EXPECT_TRUE(reply.protocol_violation) << code;
    }
}

TEST(Rfc6455Close, AReasonThatIsNotUtf8IsInvalidPayload) {
    const auto reply = reply_to_close(body(1000, "\xc3\x28"));
    EXPECT_EQ(reply.code, CloseCode::invalid_payload);
    EXPECT_TRUE(reply.protocol_violation);
    EXPECT_EQ(server_close(reply.code).view(), std::string("\x88\x02\x03\xEF", 4));
}

}  // namespace
}  // namespace relay::plugins::websocket::rfc6455
