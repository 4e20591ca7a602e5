// UTF-8 validation as RFC 6455 requires it of text messages: every boundary of RFC
// 3629's table, overlongs, surrogates, code points past U+10FFFF, truncation, and the
// word-at-a-time ASCII path at every alignment.
#include "rfc6455/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::plugins::websocket::rfc6455 {
namespace {

using namespace std::string_literals;

TEST(Utf8, AcceptsWellFormedText) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("plain ASCII, longer than one word"));
    EXPECT_TRUE(valid_utf8("\x00\x7f"s));
    EXPECT_TRUE(valid_utf8("\xc2\x80"));          // U+0080, the first two-byte
    EXPECT_TRUE(valid_utf8("\xdf\xbf"));          // U+07FF
    EXPECT_TRUE(valid_utf8("\xe0\xa0\x80"));      // U+0800, the first three-byte
    EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));      // U+D7FF, below the surrogates
    EXPECT_TRUE(valid_utf8("\xee\x80\x80"));      // U+E000, above them
    EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));      // U+FFFF
    EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80"));  // U+10000, the first four-byte
    EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last
    EXPECT_TRUE(valid_utf8("h\xc3\xa9llo \xf0\x9f\x98\x80 \xe2\x9c\x93"));
}

TEST(Utf8, RefusesWhatRfc3629Forbids) {
    EXPECT_FALSE(valid_utf8("\x80"));  // a lone continuation byte
    EXPECT_FALSE(valid_utf8("\xbf"));
    EXPECT_FALSE(valid_utf8("\xc0\x80"));          // overlong NUL
    EXPECT_FALSE(valid_utf8("\xc1\xbf"));          // overlong U+007F
    EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));      // overlong U+07FF
    EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));  // overlong U+FFFF
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // U+D800, a surrogate
    EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));      // U+DFFF
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));
    EXPECT_FALSE(valid_utf8("\xff"));
    EXPECT_FALSE(valid_utf8("\xfe"));
    EXPECT_FALSE(valid_utf8("\xc3\x28"));  // a continuation that is not one
    EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));
    EXPECT_FALSE(valid_utf8("\xf0\x9f\x98\x28"));
}

TEST(Utf8, RefusesACharacterCutShort) {
    const std::string smile = "\xf0\x9f\x98\x80";
    for (std::size_t n = 1; n < smile.size(); ++n) {
        EXPECT_FALSE(valid_utf8("ok " + smile.substr(0, n))) << n;
        EXPECT_FALSE(valid_utf8(smile.substr(0, n) + "ok")) << n;
    }
}

TEST(Utf8, FindsABadByteAtEveryPositionAroundTheAsciiFastPath) {
    for (std::size_t length = 1; length <= 40; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
            std::string text(length, 'a');
            EXPECT_TRUE(valid_utf8(text));
            text[at] = '\xff';
            EXPECT_FALSE(valid_utf8(text)) << length << " " << at;
            text[at] = '\xc3';  // needs a continuation: good only if 0xa9 follows
            if (at + 1 < length) {
                text[at + 1] = '\xa9';
                EXPECT_TRUE(valid_utf8(text)) << length << " " << at;
            } else {
                EXPECT_FALSE(valid_utf8(text)) << length << " " << at;
            }
        }
    }
}

}  // namespace
}  // namespace relay::plugins::websocket::rfc6455
