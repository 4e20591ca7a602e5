#pragma once
#include <relay/sdk/config.hpp>

#include <vector>

namespace relay::plugins::jwt {

/// Every problem `relay check` reports for a jwt section: those of the settings alone
/// (settings_problems), then those of the key sources, read now (a file unreadable or
/// not parseable, named with the reason; a weak secret), then HMAC algorithms listed in
/// `algorithms` with no secret to verify them (with the default list this is no
/// problem: each key verifies only its own family, so an HS token is then refused).
std::vector<sdk::KeyProblem> check_config(const sdk::ConfigView& config);

}  // namespace relay::plugins::jwt
