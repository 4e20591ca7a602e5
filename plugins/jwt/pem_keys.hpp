#pragma once
#include "parsed_keys.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::jwt {

/// The public keys in PEM text: every `PUBLIC KEY`, `RSA PUBLIC KEY` and `CERTIFICATE`
/// block (a certificate serves its subject's key; its validity and issuer are not
/// checked: the file is trusted as configured). Each must be RSA, EC P-256 or Ed25519,
/// and becomes a key of that family only. A private key block is an error (relay never
/// needs one; give it the public half). Other blocks (EC PARAMETERS) are skipped.
/// `origin` names the source in the keys and the error.
ParsedKeys pem_public_keys(std::string_view pem, const std::string& origin);

/// The family a public key serves, or nullopt for any other type or curve.
std::optional<KeyFamily> family_of_public_key(EVP_PKEY* key) noexcept;

}  // namespace relay::plugins::jwt
