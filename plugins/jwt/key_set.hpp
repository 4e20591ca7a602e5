#pragma once
#include "algorithm.hpp"
#include "openssl_handles.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::jwt {

/// One key that verifies signatures. A key of family hmac holds `secret` and no public
/// key; every other family holds `public_key` and no secret: so public key bytes can
/// never be used as an HMAC secret.
struct VerifyKey {
    KeyFamily family = KeyFamily::hmac;
    std::string secret;     ///< hmac: the shared secret's bytes
    PkeyHandle public_key;  ///< rsa, ec_p256, ed25519
    std::string kid;        ///< a JWKS key's `kid`; empty otherwise
    /// A JWKS key's `alg`: then only that algorithm (of its family) uses it.
    std::optional<Algorithm> only_for;
    bool from_jwks = false;
    /// Where it came from, for logs: `secret`, a file path, `jwks.json#kid`.
    std::string origin;

    /// True when a token of `algorithm` may be verified with this key.
    bool fits(Algorithm algorithm) const noexcept {
        return family_of(algorithm) == family && (!only_for || *only_for == algorithm);
    }
};

/// Every key the plugin verifies with, as one reload read them. Immutable once made:
/// the authenticator swaps whole sets, so a reader never sees half a rotation.
/// Thread safety: const; any thread.
class KeySet {
public:
    explicit KeySet(std::vector<VerifyKey> keys) : keys_(std::move(keys)) {
        for (const auto& key : keys_) has_jwks_ = has_jwks_ || key.from_jwks;
    }

    /// The keys that may verify a token of `algorithm` carrying `kid` (empty: none),
    /// or the refusal when there are none. A `kid` is looked up among the JWKS keys
    /// when a JWKS is configured (absent there: "unknown key id"); without a JWKS it
    /// is ignored. Only keys of the algorithm's own family are ever answered.
    struct Candidates {
        std::vector<const VerifyKey*> keys;
        std::string_view refusal;  ///< empty when `keys` is not
    };
    Candidates candidates(Algorithm algorithm, std::string_view kid) const;

    std::size_t size() const noexcept { return keys_.size(); }
    const std::vector<VerifyKey>& keys() const noexcept { return keys_; }
    bool has_family(KeyFamily family) const noexcept;

private:
    std::vector<VerifyKey> keys_;
    bool has_jwks_ = false;
};

}  // namespace relay::plugins::jwt
