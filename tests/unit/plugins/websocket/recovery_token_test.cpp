// Recovery tokens (the pids any node can verify) and the node's own record of closed
// sessions: no sockets, no server.
#include "server/recovery_token.hpp"
#include "server/recovery_registry.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::plugins::websocket {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const SessionClaim kClaim{
    .sid = "wZX3oN0bSVIhsaknAAAI", .room = "lobby", .user = "alice", .issued_ms = 1700000000123};

TEST(RecoveryToken, RoundTripsOnAnyHolderOfTheSecret) {
    const RecoveryTokens issuer(kSecret);
    const RecoveryTokens other_node(kSecret);
    const auto token = issuer.issue(kClaim);
    EXPECT_EQ(other_node.verify(token), kClaim);
    // It travels in JSON and URLs as is: base64url, no padding.
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    // The same claim, the same token: nothing random in it.
    EXPECT_EQ(issuer.issue(kClaim), token);
}

TEST(RecoveryToken, KeepsAnyBytesInItsFields) {
    const RecoveryTokens tokens(kSecret);
    const SessionClaim odd{
        .sid = "s", .room = std::string("r\0\"{é", 6), .user = "", .issued_ms = 0};
    EXPECT_EQ(tokens.verify(tokens.issue(odd)), odd);
    const SessionClaim large{
        .sid = "s", .room = std::string(70000, 'r'), .user = "u", .issued_ms = 1};
    EXPECT_EQ(tokens.verify(tokens.issue(large)), large);
}

TEST(RecoveryToken, AnotherSecretDoesNotVerify) {
    const auto token = RecoveryTokens(kSecret).issue(kClaim);
    EXPECT_FALSE(RecoveryTokens("another secret, just as long!!").verify(token));
    // A process without a configured secret has its own random one.
    EXPECT_FALSE(RecoveryTokens::random().verify(token));
    const auto own = RecoveryTokens::random();
    EXPECT_EQ(own.verify(own.issue(kClaim)), kClaim);
}

TEST(RecoveryToken, EveryChangedCharacterIsRefused) {
    const RecoveryTokens tokens(kSecret);
    const auto token = tokens.issue(kClaim);
    for (std::size_t i = 0; i < token.size(); ++i) {
        auto tampered = token;
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(tokens.verify(tampered)) << "character " << i;
    }
}

TEST(RecoveryToken, ARoomOrTimeChangedAndResignedWithoutTheSecretIsRefused) {
    // A forger who knows the format but not the secret: the claim they want, signed
    // with a secret of their own.
    const RecoveryTokens forger("not the cluster's secret at all");
    auto claim = kClaim;
    claim.room = "admins";
    claim.issued_ms = 4102444800000;
    EXPECT_FALSE(RecoveryTokens(kSecret).verify(forger.issue(claim)));
}

TEST(RecoveryToken, GarbageIsRefusedNotThrown) {
    const RecoveryTokens tokens(kSecret);
    const auto token = tokens.issue(kClaim);
    for (const std::string& bad :
         {std::string(), std::string("nope"), std::string("ZUpNzLNKg3WsXWHaAAAB"),
          token.substr(0, token.size() - 1), token.substr(0, 10), token + "A", token + "==",
          std::string(token.size(), '-'), std::string("+/+/") + token, std::string(500, 'A')}) {
        EXPECT_FALSE(tokens.verify(bad)) << bad;
    }
}

TEST(RecoveryRegistry, ARecoverableSessionIsTakenOnce) {
    RecoveryRegistry registry;
    const auto later = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    registry.remember("p1", {"sid", "room", "user", later, true});
    const auto entry = registry.take("p1");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->sid, "sid");
    EXPECT_TRUE(entry->recoverable);
    EXPECT_FALSE(registry.take("p1"));
}

TEST(RecoveryRegistry, ASessionClosedForGoodStaysRefusedForTheWindow) {
    RecoveryRegistry registry;
    const auto later = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    registry.remember("p1", {"sid", "room", "user", later, false});
    for (int i = 0; i < 2; ++i) {
        const auto entry = registry.take("p1");
        ASSERT_TRUE(entry);
        EXPECT_FALSE(entry->recoverable);
    }
}

TEST(RecoveryRegistry, AnExpiredEntryIsUnknown) {
    RecoveryRegistry registry;
    const auto past = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
    registry.remember("p1", {"sid", "room", "user", past, true});
    registry.remember("p2", {"sid", "room", "user", past, false});
    EXPECT_FALSE(registry.take("p1"));
    EXPECT_FALSE(registry.take("p2"));
}

}  // namespace
}  // namespace relay::plugins::websocket
