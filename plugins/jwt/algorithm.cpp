#include "algorithm.hpp"

namespace relay::plugins::jwt {

std::string_view algorithm_name(Algorithm algorithm) noexcept {
    switch (algorithm) {
        case Algorithm::hs256: return "HS256";
        case Algorithm::hs384: return "HS384";
        case Algorithm::hs512: return "HS512";
        case Algorithm::rs256: return "RS256";
        case Algorithm::es256: return "ES256";
        case Algorithm::eddsa: return "EdDSA";
    }
    return "unknown";
}

std::optional<Algorithm> algorithm_named(std::string_view name) noexcept {
    for (const auto algorithm : kAllAlgorithms) {
        if (algorithm_name(algorithm) == name) return algorithm;
    }
    return std::nullopt;
}

KeyFamily family_of(Algorithm algorithm) noexcept {
    switch (algorithm) {
        case Algorithm::hs256:
        case Algorithm::hs384:
        case Algorithm::hs512: return KeyFamily::hmac;
        case Algorithm::rs256: return KeyFamily::rsa;
        case Algorithm::es256: return KeyFamily::ec_p256;
        case Algorithm::eddsa: return KeyFamily::ed25519;
    }
    return KeyFamily::hmac;
}

std::string_view family_name(KeyFamily family) noexcept {
    switch (family) {
        case KeyFamily::hmac: return "HMAC secret";
        case KeyFamily::rsa: return "RSA";
        case KeyFamily::ec_p256: return "EC P-256";
        case KeyFamily::ed25519: return "Ed25519";
    }
    return "unknown";
}

}  // namespace relay::plugins::jwt
