#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::jwt {

/// A compact JWS (`header.payload.signature`, each base64url) split into its parts,
/// with its protected header read. Views point into the token text.
struct CompactToken {
    std::string_view signing_input;  ///< `header.payload`: what the signature signs
    std::string_view payload;        ///< still base64url: decoded only once verified
    std::string signature;           ///< decoded
    std::string alg;                 ///< the header's `alg`, as written
    std::string kid;                 ///< the header's `kid`; empty when absent
};

/// Longer tokens are refused unread: a client must not make the node parse megabytes
/// before anything is verified. Generous for a token with many room grants.
inline constexpr std::size_t kMaxTokenBytes = std::size_t{64} * 1024;

/// Nullopt when `token` is not three base64url parts whose header is a JSON object
/// with a string `alg` (and a string `kid`, if any), or when the header lists `crit`
/// extensions (RFC 7515 §4.1.11: a recipient refuses those it does not understand, and
/// relay understands none).
std::optional<CompactToken> split_token(std::string_view token);

}  // namespace relay::plugins::jwt
