#pragma once
#include "algorithm.hpp"
#include "key_set.hpp"

#include <string_view>

namespace relay::plugins::jwt {

/// True when `signature` (the decoded third part of a compact JWS) signs
/// `signing_input` (its first two parts, dot included) under `algorithm` with `key`.
/// False, without trying, when the key's family is not the algorithm's. ES256
/// signatures are JWS's raw r||s (64 bytes), not DER. Thread safety: any thread;
/// `key` is only read. Never throws.
bool signature_valid(Algorithm algorithm, const VerifyKey& key, std::string_view signing_input,
                     std::string_view signature) noexcept;

}  // namespace relay::plugins::jwt
