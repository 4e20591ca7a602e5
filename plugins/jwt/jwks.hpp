#pragma once
#include "parsed_keys.hpp"

#include <string>
#include <string_view>

namespace relay::plugins::jwt {

/// The keys of a JSON Web Key Set (RFC 7517): `{"keys": [...]}`, each with its `kid`
/// and, when given, its `alg`. Relay uses kty RSA (n, e) for RS256, EC with crv P-256
/// (x, y) for ES256, OKP with crv Ed25519 (x) for EdDSA and oct (k) for HS256/384/512.
/// Keys of other types or curves, with `use` other than `sig`, or with an `alg` relay
/// does not verify are skipped (a provider's set may hold them for others); a key of a
/// type relay uses that is broken (a member missing, a point off the curve, an oct key
/// under `min_secret_bytes`, an `alg` of another family) is an error, and so is a set
/// with no usable key. `origin` names the file in the keys and the error.
ParsedKeys jwks_keys(std::string_view text, const std::string& origin,
                     std::size_t min_secret_bytes);

}  // namespace relay::plugins::jwt
