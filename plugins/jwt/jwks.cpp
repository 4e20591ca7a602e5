#include "jwks.hpp"

#include "base64url.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::jwt {

namespace {

using nlohmann::json;

/// A string member; empty when absent or not a string.
std::string text_member(const json& jwk, const char* name) {
    const auto it = jwk.find(name);
    return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// A base64url member, decoded; nullopt when absent, not a string or not base64url.
std::optional<std::string> bytes_member(const json& jwk, const char* name) {
    const auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) return std::nullopt;
    return base64url_decode(it->get_ref<const std::string&>());
}

const unsigned char* bytes(const std::string& text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

/// A public key of OpenSSL type `type` from the parameters in `build`; null when
/// OpenSSL refuses them (a point off the curve, say).
PkeyHandle public_key_from(const char* type, OSSL_PARAM_BLD* build) {
    const ParamsHandle params(OSSL_PARAM_BLD_to_param(build));
    const PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return {};
    }
    return PkeyHandle(key);
}

PkeyHandle rsa_key(const std::string& n, const std::string& e) {
    const BignumHandle modulus(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr));
    const BignumHandle exponent(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr));
    // An even exponent or 1 is no RSA key (with e = 1 anyone could sign).
    if (!modulus || !exponent || BN_is_odd(exponent.get()) != 1 || BN_is_one(exponent.get()) == 1) {
        return {};
    }
    const ParamBuildHandle build(OSSL_PARAM_BLD_new());
    if (!build || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
        return {};
    }
    return public_key_from("RSA", build.get());
}

PkeyHandle ec_p256_key(const std::string& x, const std::string& y) {
    constexpr std::size_t kCoordinate = 32;
    if (x.size() != kCoordinate || y.size() != kCoordinate) return {};
    const std::string point = '\x04' + x + y;  // SEC 1 uncompressed form
    constexpr std::string_view kGroup = "prime256v1";
    const ParamBuildHandle build(OSSL_PARAM_BLD_new());
    if (!build ||
        OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup.data(),
                                        kGroup.size()) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return {};
    }
    return public_key_from("EC", build.get());
}

PkeyHandle ed25519_key(const std::string& x) {
    constexpr std::size_t kKeySize = 32;
    if (x.size() != kKeySize) return {};
    return PkeyHandle(
        EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, bytes(x), x.size()));
}

/// The family a JWK's kty (and crv) name, or nullopt for a type relay does not use.
std::optional<KeyFamily> family_of_jwk(const json& jwk) {
    const std::string kty = text_member(jwk, "kty");
    const std::string crv = text_member(jwk, "crv");
    if (kty == "RSA") return KeyFamily::rsa;
    if (kty == "EC" && crv == "P-256") return KeyFamily::ec_p256;
    if (kty == "OKP" && crv == "Ed25519") return KeyFamily::ed25519;
    if (kty == "oct") return KeyFamily::hmac;
    return std::nullopt;
}

/// One JWK: a key, nothing (skipped), or an error.
struct OneKey {
    std::optional<VerifyKey> key;
    std::string error;
};

OneKey parse_jwk(const json& jwk, std::size_t min_secret_bytes) {
    if (!jwk.is_object()) return {std::nullopt, "is not an object"};
    const auto family = family_of_jwk(jwk);
    if (!family) return {};
    if (jwk.contains("use") && text_member(jwk, "use") != "sig") return {};
    VerifyKey key;
    key.family = *family;
    key.from_jwks = true;
    if (jwk.contains("kid") && !jwk["kid"].is_string())
        return {std::nullopt, "kid is not a string"};
    key.kid = text_member(jwk, "kid");
    if (jwk.contains("alg")) {
        key.only_for = algorithm_named(text_member(jwk, "alg"));
        if (!key.only_for) return {};  // for an algorithm relay does not verify
        if (family_of(*key.only_for) != *family) {
            return {std::nullopt, "alg " + std::string(algorithm_name(*key.only_for)) +
                                      " does not fit kty " + text_member(jwk, "kty")};
        }
    }
    switch (*family) {
        case KeyFamily::hmac: {
            auto k = bytes_member(jwk, "k");
            if (!k || k->empty()) return {std::nullopt, "kty oct needs k (base64url)"};
            if (k->size() < min_secret_bytes) {
                return {std::nullopt, "k is " + std::to_string(k->size()) +
                                          " bytes, too weak: use at least " +
                                          std::to_string(min_secret_bytes) + " random bytes"};
            }
            key.secret = std::move(*k);
            return {std::move(key), {}};
        }
        case KeyFamily::rsa: {
            const auto n = bytes_member(jwk, "n");
            const auto e = bytes_member(jwk, "e");
            if (!n || !e) return {std::nullopt, "kty RSA needs n and e (base64url)"};
            key.public_key = rsa_key(*n, *e);
            break;
        }
        case KeyFamily::ec_p256: {
            const auto x = bytes_member(jwk, "x");
            const auto y = bytes_member(jwk, "y");
            if (!x || !y) return {std::nullopt, "kty EC needs x and y (base64url)"};
            key.public_key = ec_p256_key(*x, *y);
            break;
        }
        case KeyFamily::ed25519: {
            const auto x = bytes_member(jwk, "x");
            if (!x) return {std::nullopt, "kty OKP needs x (base64url)"};
            key.public_key = ed25519_key(*x);
            break;
        }
    }
    if (!key.public_key) {
        return {std::nullopt,
                "is not a valid " + std::string(family_name(*family)) + " public key"};
    }
    return {std::move(key), {}};
}

}  // namespace

ParsedKeys jwks_keys(std::string_view text, const std::string& origin,
                     std::size_t min_secret_bytes) {
    const json set = json::parse(text, nullptr, false);
    if (set.is_discarded()) return ParsedKeys::failed("is not JSON");
    if (!set.is_object() || !set.contains("keys") || !set["keys"].is_array()) {
        return ParsedKeys::failed("is not a JWKS: expected an object with a \"keys\" array");
    }
    ParsedKeys parsed;
    std::size_t index = 0;
    for (const auto& jwk : set["keys"]) {
        ++index;
        OneKey one = parse_jwk(jwk, min_secret_bytes);
        if (!one.error.empty()) {
            const std::string kid = jwk.is_object() ? text_member(jwk, "kid") : std::string();
            ERR_clear_error();
            return ParsedKeys::failed("key " + std::to_string(index) +
                                      (kid.empty() ? "" : " (kid \"" + kid + "\")") + ": " +
                                      one.error);
        }
        if (!one.key) continue;
        one.key->origin = origin + (one.key->kid.empty() ? "" : "#" + one.key->kid);
        parsed.keys.push_back(std::move(*one.key));
    }
    if (parsed.keys.empty()) {
        return ParsedKeys::failed(
            "has no key relay can use (kty RSA, EC P-256, OKP Ed25519 or oct, for signatures)");
    }
    return parsed;
}

}  // namespace relay::plugins::jwt
