// The jwt plugin's base64url decoder: RFC 4648 §10's vectors in the url alphabet, and
// every text that is not unpadded base64url refused.
#include "plugins/jwt/base64url.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace relay::plugins::jwt {
namespace {

TEST(JwtBase64url, DecodesEveryLengthWithoutPadding) {
    EXPECT_EQ(base64url_decode(""), std::optional<std::string>(""));
    EXPECT_EQ(base64url_decode("Zg"), std::optional<std::string>("f"));
    EXPECT_EQ(base64url_decode("Zm8"), std::optional<std::string>("fo"));
    EXPECT_EQ(base64url_decode("Zm9v"), std::optional<std::string>("foo"));
    EXPECT_EQ(base64url_decode("Zm9vYg"), std::optional<std::string>("foob"));
    EXPECT_EQ(base64url_decode("Zm9vYmE"), std::optional<std::string>("fooba"));
    EXPECT_EQ(base64url_decode("Zm9vYmFy"), std::optional<std::string>("foobar"));
}

TEST(JwtBase64url, ReadsTheUrlAlphabetAndKeepsZeroBytes) {
    // 0xfb 0xff 0xbf is "+/+/" in the standard alphabet.
    EXPECT_EQ(base64url_decode("-_-_"), std::optional<std::string>("\xfb\xff\xbf"));
    EXPECT_EQ(base64url_decode("AAAA"), std::optional<std::string>(std::string(3, '\0')));
}

TEST(JwtBase64url, RefusesWhatIsNotUnpaddedBase64url) {
    EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);  // padding
    EXPECT_EQ(base64url_decode("+/+/"), std::nullopt);  // the standard alphabet
    EXPECT_EQ(base64url_decode("Zm 9v"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9v\n"), std::nullopt);
    EXPECT_EQ(base64url_decode("Z"), std::nullopt);      // 6 bits: no byte
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);  // the same, after a group
    EXPECT_EQ(base64url_decode("Zm.v"), std::nullopt);
}

}  // namespace
}  // namespace relay::plugins::jwt
