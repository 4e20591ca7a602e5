#include "signature.hpp"

#include "openssl_handles.hpp"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <string>

namespace relay::plugins::jwt {

namespace {

const unsigned char* bytes(std::string_view text) noexcept {
    return reinterpret_cast<const unsigned char*>(text.data());
}

const EVP_MD* hmac_digest(Algorithm algorithm) noexcept {
    switch (algorithm) {
        case Algorithm::hs384: return EVP_sha384();
        case Algorithm::hs512: return EVP_sha512();
        default: return EVP_sha256();
    }
}

bool hmac_valid(Algorithm algorithm, const std::string& secret, std::string_view signing_input,
                std::string_view signature) noexcept {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    if (HMAC(hmac_digest(algorithm), secret.data(), static_cast<int>(secret.size()),
             bytes(signing_input), signing_input.size(), mac.data(), &size) == nullptr) {
        return false;
    }
    // Constant time: the comparison must not tell a forger how much of a MAC was right.
    return signature.size() == size && CRYPTO_memcmp(mac.data(), signature.data(), size) == 0;
}

/// JWS carries an ES256 signature as r and s, 32 big-endian bytes each (RFC 7518
/// §3.4); EVP_DigestVerify wants the DER ECDSA-Sig-Value. Empty when it is not 64 bytes.
std::string es256_der(std::string_view raw) noexcept {
    constexpr std::size_t kHalf = 32;
    if (raw.size() != 2 * kHalf) return {};
    EcdsaSigHandle sig(ECDSA_SIG_new());
    BignumHandle r(BN_bin2bn(bytes(raw), kHalf, nullptr));
    BignumHandle s(BN_bin2bn(bytes(raw) + kHalf, kHalf, nullptr));
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
    (void)r.release();  // owned by sig now
    (void)s.release();
    const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (size <= 0) return {};
    try {
        std::string der(static_cast<std::size_t>(size), '\0');
        auto* out = reinterpret_cast<unsigned char*>(der.data());
        if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
        return der;
    } catch (...) {  // out of memory: no signature
        return {};
    }
}

bool public_key_valid(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input,
                      std::string_view signature) noexcept {
    // EdDSA hashes inside the signature scheme: no digest of its own.
    const EVP_MD* digest = algorithm == Algorithm::eddsa ? nullptr : EVP_sha256();
    std::string der;
    if (algorithm == Algorithm::es256) {
        der = es256_der(signature);
        if (der.empty()) return false;
        signature = der;
    }
    MdCtxHandle ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input),
                            signing_input.size()) == 1;
}

}  // namespace

bool signature_valid(Algorithm algorithm, const VerifyKey& key, std::string_view signing_input,
                     std::string_view signature) noexcept {
    if (!key.fits(algorithm)) return false;
    bool valid = false;
    if (key.family == KeyFamily::hmac) {
        valid = hmac_valid(algorithm, key.secret, signing_input, signature);
    } else if (key.public_key) {
        valid = public_key_valid(algorithm, key.public_key.get(), signing_input, signature);
    }
    // A refused signature leaves errors on this thread's OpenSSL queue; whoever uses
    // OpenSSL next on this I/O thread must not mistake them for its own.
    if (!valid) ERR_clear_error();
    return valid;
}

}  // namespace relay::plugins::jwt
