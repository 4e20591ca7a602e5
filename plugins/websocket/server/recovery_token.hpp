#pragma once
/// The private session id (`pid`) of connection state recovery as a token any node of
/// a cluster can verify: what the session was (sid, room, user) and when the token
/// was issued, signed with HMAC-SHA256 under a secret the nodes share
/// (transport.recovery_secret). A node that never saw the session can then restore
/// it: the missed messages come from the store or the queue's log, which every node
/// reads alike.
///
/// Wire form: base64url (no padding) of
///   u8 version (1) | u64 issued_ms | u32 n + sid | u32 n + room | u32 n + user | mac
/// (integers big-endian; mac = HMAC-SHA256 over everything before it). socket.io-client
/// treats the pid as an opaque string and sends it back unchanged in its CONNECT auth.
/// Pure: no sockets, no clock (the caller passes the time); unit-tested alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::websocket {

/// What a recovery token says about its session.
struct SessionClaim {
    std::string sid;
    std::string room;
    std::string user;
    std::int64_t issued_ms = 0;  ///< system clock, ms since the epoch

    bool operator==(const SessionClaim&) const = default;
};

/// Issues and verifies recovery tokens under one secret.
/// Thread safety: const member functions may be called from any thread.
class RecoveryTokens {
public:
    /// Shortest secret accepted (bytes): HMAC-SHA256 wants at least its output size
    /// of entropy; 32 random bytes make a good one.
    static constexpr std::size_t kMinSecret = 16;

    /// `secret`: at least kMinSecret bytes (the caller checks; a config error).
    explicit RecoveryTokens(std::string secret) : secret_(std::move(secret)) {}
    /// A per-process random secret: tokens verify only in this process.
    static RecoveryTokens random();

    std::string issue(const SessionClaim& claim) const;
    /// The claim of a token this secret signed; nullopt for anything else (forged,
    /// tampered, truncated, another secret, not a token at all). Never throws.
    std::optional<SessionClaim> verify(std::string_view token) const;

private:
    std::string mac(std::string_view data) const;

    std::string secret_;
};

}  // namespace relay::plugins::websocket
