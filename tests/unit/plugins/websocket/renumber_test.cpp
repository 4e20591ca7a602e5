// Attachment placeholders renumbered for a reply that carries several messages.
#include "socketio/renumber.hpp"

#include <gtest/gtest.h>

namespace relay::plugins::websocket::socketio {
namespace {

std::string renumbered(std::string_view json, std::uint32_t offset) {
    std::string out = "[";
    append_renumbered(out, json, offset);
    return out;
}

TEST(Renumber, RaisesEveryPlaceholderNumAndCopiesTheRest) {
    EXPECT_EQ(
        renumbered(R"({"a":{"_placeholder":true,"num":0},"b":[{"num":1,"_placeholder":true}]})", 3),
        R"([{"a":{"_placeholder":true,"num":3},"b":[{"num":4,"_placeholder":true}]})");
    // Spacing as other clients write it is kept.
    EXPECT_EQ(renumbered(R"({"f": {"_placeholder": true, "num": 9}})", 1),
              R"([{"f": {"_placeholder": true, "num": 10}})");
}

TEST(Renumber, LeavesLookAlikesAlone) {
    const std::string text =
        R"({"num":1,"s":"{\"_placeholder\":true,\"num\":0}","p":{"_placeholder":false,"num":2}})";
    EXPECT_EQ(renumbered(text, 5), "[" + text);
    EXPECT_EQ(renumbered(R"({"a":{"_placeholder":true,"num":0}})", 0),
              R"([{"a":{"_placeholder":true,"num":0}})");
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio
