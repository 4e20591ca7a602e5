#pragma once
/// Why a token is refused, word for word as clients read it (the host passes the
/// reason on in `connect_error` or the `refresh` ack). None names a secret, a key's
/// bytes or the token.
#include <string_view>

namespace relay::plugins::jwt::refusal {

inline constexpr std::string_view kTokenMissing = "token missing";
inline constexpr std::string_view kTokenMalformed = "token malformed";
inline constexpr std::string_view kAlgorithmNotAllowed = "algorithm not allowed";
inline constexpr std::string_view kUnknownKeyId = "unknown key id";
inline constexpr std::string_view kNoKeyForAlgorithm = "no key for algorithm";
inline constexpr std::string_view kInvalidSignature = "invalid signature";
inline constexpr std::string_view kTokenExpired = "token expired";
inline constexpr std::string_view kTokenNotYetValid = "token not yet valid";
inline constexpr std::string_view kInvalidIssuer = "invalid issuer";
inline constexpr std::string_view kInvalidAudience = "invalid audience";
inline constexpr std::string_view kSubjectMissing = "subject missing";
inline constexpr std::string_view kInvalidRoomsClaim = "invalid rooms claim";
inline constexpr std::string_view kTokenHasNoExpiry = "token has no expiry";

}  // namespace relay::plugins::jwt::refusal
