#pragma once
/// The claims of a token whose signature has been verified: whether they hold now, and
/// the identity they state.
#include <relay/sdk/auth.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::jwt {

/// What the claims must say (the settings of the same names).
struct ClaimRules {
    std::optional<std::string> issuer;    ///< `iss` must equal it, when set
    std::optional<std::string> audience;  ///< `aud` (a string or an array) must hold it
    /// Clock skew tolerated between the issuer and this node, both for `exp` and `nbf`.
    std::chrono::milliseconds leeway{5000};
    bool require_exp = true;            ///< refuse tokens without `exp`
    std::string name_claim = "name";    ///< the claim naming the user for others
    std::string rooms_claim = "rooms";  ///< the claim granting rooms (see rooms_claim.hpp)
};

/// The identity claims state, or why they are refused.
struct ClaimsVerdict {
    std::string_view refusal;  ///< one of refusal.hpp's; empty when allowed
    sdk::Identity identity;    ///< when allowed
};

/// Checks the claims in `payload_json` (the token's decoded payload) at `now`: `exp`,
/// `nbf`, `iss`, `aud`, `sub`, then the rooms claim, refusing at the first that fails.
/// The identity: user_id from `sub`, name from the name claim when it is a string,
/// rooms from the rooms claim (none when absent), and expires_at `exp` plus the leeway:
/// the moment this node stops accepting the token is when its session ends. Never
/// throws for any payload.
ClaimsVerdict check_claims(std::string_view payload_json, const ClaimRules& rules,
                           std::chrono::system_clock::time_point now);

}  // namespace relay::plugins::jwt
