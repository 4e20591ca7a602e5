#include "flow/processed_message_check.hpp"

#include <gtest/gtest.h>

namespace relay::host {
namespace {

sdk::Message with_payload(std::string payload, std::size_t attachments = 0) {
    sdk::Message msg;
    msg.payload_json = std::move(payload);
    msg.attachments.resize(attachments, "bytes");
    return msg;
}

TEST(ProcessedMessageCheck, AnObjectWhosePlaceholdersResolvePasses) {
    EXPECT_EQ(check_processed_message(with_payload(R"({"text":"hi"})")), "");
    EXPECT_EQ(check_processed_message(with_payload(
                  R"({"a":[{"_placeholder":true,"num":1}],"b":{"_placeholder":true,"num":0}})", 2)),
              "");
}

TEST(ProcessedMessageCheck, EachBreakageHasItsReason) {
    EXPECT_EQ(check_processed_message(with_payload("hello")),
              "a processor made the payload invalid JSON");
    EXPECT_EQ(check_processed_message(with_payload(R"({"a":)")),
              "a processor made the payload invalid JSON");
    EXPECT_EQ(check_processed_message(with_payload("[1,2]")),
              "a processor made the payload something other than a JSON object");
    EXPECT_EQ(check_processed_message(with_payload(R"("text")")),
              "a processor made the payload something other than a JSON object");
    EXPECT_EQ(check_processed_message(with_payload(R"({"f":{"_placeholder":true,"num":1}})", 1)),
              "a processor left a binary placeholder without its attachment");
    EXPECT_EQ(check_processed_message(with_payload(R"({"f":{"_placeholder":true,"num":-1}})", 1)),
              "a processor left a binary placeholder without its attachment");
}

}  // namespace
}  // namespace relay::host
