#pragma once
#include <relay/sdk/auth.hpp>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <vector>

namespace relay::plugins::jwt {

/// The room grants a token's rooms claim states, in one of two forms:
///
///     {"lobby": ["join", "history"], "team-42/*": ["join", "publish", "history", "presence"]}
///     ["lobby", "team-42/*"]       (every permission in each)
///
/// Patterns are sdk::room_pattern_matches'. Nullopt when the claim is neither form, a
/// pattern is empty, or a permission is not one of join, publish, history, presence.
std::optional<std::vector<sdk::RoomGrant>> parse_rooms_claim(const nlohmann::json& claim);

}  // namespace relay::plugins::jwt
