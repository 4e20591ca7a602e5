#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>

namespace relay::sdk {
namespace {

TEST(SdkError, CodesCompareByEnumAndByValue) {
    const std::error_code ec = Errc::queue_full;
    EXPECT_EQ(ec, Errc::queue_full);
    EXPECT_TRUE(same_error(ec, Errc::queue_full));
    EXPECT_FALSE(same_error(ec, Errc::rejected));
    EXPECT_EQ(ec.message(), "queue is full");
}

}  // namespace
}  // namespace relay::sdk
