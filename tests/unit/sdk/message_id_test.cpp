#include <relay/sdk/message_id.hpp>

#include "flow/message_id.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::sdk {
namespace {

TEST(SdkMessageIdTime, IsTheTimeAtTheStartOfAHostMadeUlid) {
    // The host's generator never goes back in time: a fresh one for a time in the past.
    const std::string id = host::MessageIdGenerator{}.next(1700000000123);
    EXPECT_EQ(message_id_time(id), 1700000000123);
    EXPECT_EQ(message_id_time("01ARZ3NDEKTSV4RRFFQ69G5FAV"), 1469922850259);  // the ULID spec's
    EXPECT_EQ(message_id_time("01arz3ndektsv4rrffq69g5fav"), 1469922850259);
    EXPECT_EQ(message_id_time("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), 281474976710655);
    EXPECT_FALSE(message_id_time("8ZZZZZZZZZZZZZZZZZZZZZZZZZ")) << "more than 128 bits";
    EXPECT_FALSE(message_id_time("01ARZ3NDEKTSV4RRFFQ69G5FA")) << "25 characters";
    EXPECT_FALSE(message_id_time("01ARZ3NDEKTSV4RRFFQ69G5FAU")) << "U is not Crockford";
    EXPECT_FALSE(message_id_time("token-1000"));
    EXPECT_FALSE(message_id_time(""));
}

}  // namespace
}  // namespace relay::sdk
