// The websocket transport's limits, without sockets: room and user names, the ack of a
// rate-limited message, the answers to refused connections, and the per-address table.
#include "server/address_limits.hpp"
#include "server/refusal.hpp"
#include "socketio/auth.hpp"
#include "socketio/chat.hpp"

#include <relay/sdk/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace relay::plugins::websocket {
namespace {

using namespace std::chrono_literals;
using socketio::check_name;
using socketio::NameProblem;

TEST(NameRules, BoundedPrintableUtf8) {
    EXPECT_EQ(check_name("lobby", 128), NameProblem::none);
    EXPECT_EQ(check_name("café ☕ 𝄞", 128), NameProblem::none);
    EXPECT_EQ(check_name(std::string(128, 'x'), 128), NameProblem::none);
    EXPECT_EQ(check_name(std::string(129, 'x'), 128), NameProblem::too_long);
    // Bytes, not characters: 43 three-byte characters are 129 bytes.
    std::string wide;
    for (int i = 0; i < 43; ++i) wide += "☕";
    EXPECT_EQ(check_name(wide, 128), NameProblem::too_long);
    EXPECT_EQ(check_name("a\nb", 128), NameProblem::control_character);
    EXPECT_EQ(check_name(std::string("a\0b", 3), 128), NameProblem::control_character);
    EXPECT_EQ(check_name("a\x7f", 128), NameProblem::control_character);
    EXPECT_EQ(check_name("a\xc2\x85", 128), NameProblem::control_character);  // U+0085 (NEL)
    EXPECT_EQ(check_name("\xff", 128), NameProblem::not_utf8);
    EXPECT_EQ(check_name("\xc0\xaf", 128), NameProblem::not_utf8);          // overlong '/'
    EXPECT_EQ(check_name("\xed\xa0\x80", 128), NameProblem::not_utf8);      // a surrogate
    EXPECT_EQ(check_name("\xf4\x90\x80\x80", 128), NameProblem::not_utf8);  // past U+10FFFF
    EXPECT_EQ(check_name("\xe2\x98", 128), NameProblem::not_utf8);          // cut short
}

TEST(NameRules, TheConnectErrorSaysWhatAndWhy) {
    EXPECT_EQ(socketio::name_error("room id", NameProblem::too_long, 128),
              "Invalid room id: longer than 128 bytes");
    EXPECT_EQ(socketio::name_error("user", NameProblem::not_utf8, 128),
              "Invalid user: not valid UTF-8");
    EXPECT_EQ(socketio::name_error("user", NameProblem::control_character, 128),
              "Invalid user: contains a control character");
}

TEST(PublishAck, CarriesTheIdOrTheErrorAndWhenToRetry) {
    sdk::Published ok;
    ok.id = "01HZX";
    EXPECT_EQ(socketio::publish_ack(ok), R"({"id":"01HZX"})");
    sdk::Published rejected;
    rejected.error = make_error_code(sdk::Errc::rejected);
    rejected.reason = "too \"long\"";
    EXPECT_EQ(socketio::publish_ack(rejected), R"({"error":"too \"long\""})");
    rejected.reason = "rate limited";
    rejected.retry_after = 250ms;
    EXPECT_EQ(socketio::publish_ack(rejected), R"({"error":"rate limited","retry_after_ms":250})");
}

TEST(Refusal, AnswersAsEngineIoWithAStatusThatSaysNotNow) {
    EXPECT_EQ(refusal_status(Limit::max_connections), 503u);
    EXPECT_EQ(refusal_status(Limit::connection_rate_per_address), 429u);
    EXPECT_EQ(refusal_body(Limit::max_polling_sessions_per_address),
              R"({"code":4,"message":"too many polling sessions from this address"})");
    EXPECT_EQ(refusal_response(Limit::max_connections, 0s),
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Content-Length: 55\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
              R"({"code":4,"message":"server busy: max_connections hit"})");
    EXPECT_EQ(refusal_response(Limit::connection_rate_per_address, 3s).substr(0, 32),
              "HTTP/1.1 429 Too Many Requests\r\n");
    EXPECT_NE(refusal_response(Limit::connection_rate_per_address, 3s).find("Retry-After: 3\r\n"),
              std::string::npos);
    EXPECT_EQ(limit_setting(Limit::max_connections_per_address), "max_connections_per_address");
}

using Clock = AddressLimits::Clock;
const Clock::time_point kStart = Clock::time_point(1h);

TEST(AddressLimits, OffTracksNothing) {
    auto limits = AddressLimits::make({});
    for (int i = 0; i < 100; ++i) {
        EXPECT_FALSE(limits->admit_connection("10.0.0.1", kStart).refused);
        EXPECT_FALSE(limits->admit_polling_session("10.0.0.1").refused);
    }
    EXPECT_EQ(limits->tracked(), 0u);
}

TEST(AddressLimits, CountsOpenConnectionsPerAddressUntilTheirLeasesGo) {
    auto limits = AddressLimits::make({.max_connections = 2});
    auto a = limits->admit_connection("10.0.0.1", kStart);
    auto b = limits->admit_connection("10.0.0.1", kStart);
    EXPECT_FALSE(a.refused);
    EXPECT_FALSE(b.refused);
    const auto c = limits->admit_connection("10.0.0.1", kStart);
    ASSERT_TRUE(c.refused);
    EXPECT_EQ(*c.refused, Limit::max_connections_per_address);
    EXPECT_FALSE(limits->admit_connection("10.0.0.2", kStart).refused);  // another address
    AddressLimits::Lease moved = std::move(a.lease);
    a.lease.release();  // moved from: nothing to give back
    EXPECT_TRUE(limits->admit_connection("10.0.0.1", kStart).refused);
    moved.release();
    auto d = limits->admit_connection("10.0.0.1", kStart);
    EXPECT_FALSE(d.refused);
    b.lease.release();
    d.lease.release();
    EXPECT_EQ(limits->tracked(), 0u);  // nothing held, no bucket: forgotten
}

TEST(AddressLimits, HoldsNewConnectionsToTheRate) {
    auto limits = AddressLimits::make({.connection_rate = {2, 3}});
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(limits->admit_connection("10.0.0.1", kStart).refused);
    const auto refused = limits->admit_connection("10.0.0.1", kStart);
    ASSERT_TRUE(refused.refused);
    EXPECT_EQ(*refused.refused, Limit::connection_rate_per_address);
    EXPECT_EQ(refused.retry_after, 1s);  // half a second, rounded up
    EXPECT_FALSE(limits->admit_connection("10.0.0.1", kStart + 500ms).refused);
    // The leases went at once, but the bucket is remembered until it has refilled.
    EXPECT_EQ(limits->tracked(), 1u);
}

TEST(AddressLimits, ForgetsAddressesWhoseBucketsRefilledAsTheTableGrows) {
    auto limits = AddressLimits::make({.connection_rate = {1, 1}});
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(limits->admit_connection("10.0.0." + std::to_string(i), kStart).refused);
    }
    EXPECT_EQ(limits->tracked(), 1000u);  // each still refilling: remembered
    // Ten seconds on, the table's growth sweeps out the 1,000 refilled ones.
    for (int i = 0; i < 100; ++i) {
        EXPECT_FALSE(limits->admit_connection("10.1.0." + std::to_string(i), kStart + 10s).refused);
    }
    EXPECT_LE(limits->tracked(), 100u);
}

TEST(AddressLimits, CountsPollingSessionsApart) {
    auto limits = AddressLimits::make({.max_connections = 1, .max_polling_sessions = 2});
    auto connection = limits->admit_connection("10.0.0.1", kStart);
    auto s1 = limits->admit_polling_session("10.0.0.1");
    auto s2 = limits->admit_polling_session("10.0.0.1");
    EXPECT_FALSE(s1.refused);
    EXPECT_FALSE(s2.refused);
    const auto s3 = limits->admit_polling_session("10.0.0.1");
    ASSERT_TRUE(s3.refused);
    EXPECT_EQ(*s3.refused, Limit::max_polling_sessions_per_address);
    s1.lease.release();
    EXPECT_FALSE(limits->admit_polling_session("10.0.0.1").refused);
}

TEST(AddressLimits, ALeaseMayOutliveItsOwnersOtherReferences) {
    AddressLimits::Lease lease;
    {
        auto limits = AddressLimits::make({.max_connections = 1});
        lease = std::move(limits->admit_connection("10.0.0.1", kStart).lease);
    }
    lease.release();  // the table lives as long as a lease does
}

}  // namespace
}  // namespace relay::plugins::websocket
