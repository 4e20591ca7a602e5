#pragma once
// Keys and tokens for the jwt plugin's tests and benchmark, made along a path of their
// own: keys generated here, tokens signed with EVP_DigestSign (HMAC too, through an
// HMAC EVP_PKEY), ES256 signatures converted from DER to r||s here, base64url encoded
// here. Only the plugin's OpenSSL handle types are shared.
#include "plugins/jwt/openssl_handles.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::jwt::testing {

inline std::string base64url(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(size));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return out;
}

inline void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test key setup failed: ") + what);
}

/// The bytes of a BIGNUM, big-endian, padded to `width` (0: as short as it is).
inline std::string bignum_bytes(const BIGNUM* n, int width = 0) {
    const int size = width > 0 ? width : BN_num_bytes(n);
    std::string out(static_cast<std::size_t>(size), '\0');
    require(BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), size) == size,
            "BN_bn2binpad");
    return out;
}

/// A signing key: an asymmetric key pair, or an HMAC secret.
class TestKey {
public:
    static TestKey rsa(unsigned bits = 2048) {
        PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
        require(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
                    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) == 1,
                "RSA keygen");
        return generate(ctx.get(), "RSA");
    }
    static TestKey ec_p256() {
        PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
        require(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
                    EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") == 1,
                "EC keygen");
        return generate(ctx.get(), "EC");
    }
    static TestKey ed25519() {
        PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
        require(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1, "Ed25519 keygen");
        return generate(ctx.get(), "ED25519");
    }
    static TestKey hmac(std::string secret) {
        TestKey key;
        key.type_ = "HMAC";
        key.secret_ = std::move(secret);
        return key;
    }

    const std::string& type() const { return type_; }
    const std::string& secret() const { return secret_; }
    EVP_PKEY* pkey() const { return pkey_.get(); }

    std::string public_pem() const {
        return pem([](BIO* bio, EVP_PKEY* key) { return PEM_write_bio_PUBKEY(bio, key); });
    }
    std::string private_pem() const {
        return pem([](BIO* bio, EVP_PKEY* key) {
            return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
        });
    }
    /// A self-signed certificate for the key (CN=relay-test, valid for a day).
    std::string certificate_pem() const {
        X509Handle cert(X509_new());
        require(cert != nullptr, "X509_new");
        X509_NAME* name = X509_get_subject_name(cert.get());
        const auto* cn = reinterpret_cast<const unsigned char*>("relay-test");
        require(X509_set_version(cert.get(), 2) == 1 &&
                    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
                    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr &&
                    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr &&
                    X509_set_pubkey(cert.get(), pkey()) == 1 &&
                    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
                    X509_set_issuer_name(cert.get(), name) == 1,
                "certificate fields");
        const EVP_MD* digest = type_ == "ED25519" ? nullptr : EVP_sha256();
        require(X509_sign(cert.get(), pkey(), digest) > 0, "X509_sign");
        BioHandle bio(BIO_new(BIO_s_mem()));
        require(PEM_write_bio_X509(bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
        return bio_text(bio.get());
    }

    /// The public JWK (or, for HMAC, the oct key) under `kid` (none when empty).
    nlohmann::json jwk(const std::string& kid = {}) const {
        nlohmann::json out;
        if (type_ == "HMAC") {
            out = {{"kty", "oct"}, {"k", base64url(secret_)}};
        } else if (type_ == "RSA") {
            out = {{"kty", "RSA"},
                   {"n", base64url(bignum_param(OSSL_PKEY_PARAM_RSA_N, 0))},
                   {"e", base64url(bignum_param(OSSL_PKEY_PARAM_RSA_E, 0))}};
        } else if (type_ == "EC") {
            out = {{"kty", "EC"},
                   {"crv", "P-256"},
                   {"x", base64url(bignum_param(OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                   {"y", base64url(bignum_param(OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
        } else {
            std::string raw(32, '\0');
            std::size_t size = raw.size();
            require(EVP_PKEY_get_raw_public_key(
                        pkey(), reinterpret_cast<unsigned char*>(raw.data()), &size) == 1,
                    "raw public key");
            out = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url(raw)}};
        }
        if (!kid.empty()) out["kid"] = kid;
        return out;
    }

    /// The JWS signature of `input` under `alg` (an ES256 one as r||s).
    std::string sign(std::string_view alg, std::string_view input) const {
        PkeyHandle hmac_key;
        EVP_PKEY* key = pkey();
        if (type_ == "HMAC") {
            hmac_key.reset(EVP_PKEY_new_raw_private_key(
                EVP_PKEY_HMAC, nullptr, reinterpret_cast<const unsigned char*>(secret_.data()),
                secret_.size()));
            key = hmac_key.get();
        }
        const EVP_MD* digest = alg == "HS384"   ? EVP_sha384()
                               : alg == "HS512" ? EVP_sha512()
                               : alg == "EdDSA" ? nullptr
                                                : EVP_sha256();
        MdCtxHandle ctx(EVP_MD_CTX_new());
        std::size_t size = 0;
        const auto* data = reinterpret_cast<const unsigned char*>(input.data());
        require(ctx && key != nullptr &&
                    EVP_DigestSignInit(ctx.get(), nullptr, digest, nullptr, key) == 1 &&
                    EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) == 1,
                "sign init");
        std::string signature(size, '\0');
        require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                               data, input.size()) == 1,
                "sign");
        signature.resize(size);
        if (alg != "ES256") return signature;
        const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
        EcdsaSigHandle sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
        require(sig != nullptr, "d2i_ECDSA_SIG");
        return bignum_bytes(ECDSA_SIG_get0_r(sig.get()), 32) +
               bignum_bytes(ECDSA_SIG_get0_s(sig.get()), 32);
    }

private:
    static TestKey generate(EVP_PKEY_CTX* ctx, std::string type) {
        EVP_PKEY* made = nullptr;
        require(EVP_PKEY_generate(ctx, &made) == 1, "EVP_PKEY_generate");
        TestKey key;
        key.type_ = std::move(type);
        key.pkey_.reset(made);
        return key;
    }
    static std::string bio_text(BIO* bio) {
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio, &data);
        return {data, static_cast<std::size_t>(size)};
    }
    template <class Write>
    std::string pem(Write write) const {
        BioHandle bio(BIO_new(BIO_s_mem()));
        require(bio && write(bio.get(), pkey()) == 1, "PEM write");
        return bio_text(bio.get());
    }
    std::string bignum_param(const char* name, int width) const {
        BIGNUM* raw = nullptr;
        require(EVP_PKEY_get_bn_param(pkey(), name, &raw) == 1, name);
        const BignumHandle n(raw);
        return bignum_bytes(n.get(), width);
    }

    std::string type_;
    std::string secret_;
    PkeyHandle pkey_;
};

/// A compact JWS of `payload` under `alg`, signed by `key`. `header` adds to (or
/// overrides) {"alg": alg, "typ": "JWT"}.
inline std::string sign_token(std::string_view alg, const TestKey& key,
                              const nlohmann::json& payload, const nlohmann::json& header = {}) {
    nlohmann::json full = {{"alg", alg}, {"typ", "JWT"}};
    if (header.is_object()) full.update(header);
    const std::string input = base64url(full.dump()) + "." + base64url(payload.dump());
    return input + "." + base64url(key.sign(alg, input));
}

/// Seconds since the epoch, `offset` from now: a NumericDate.
inline std::int64_t epoch_seconds(std::chrono::seconds offset = std::chrono::seconds(0)) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               (std::chrono::system_clock::now() + offset).time_since_epoch())
        .count();
}

inline std::string write_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    require(static_cast<bool>(out), "write_file");
    return path.string();
}

/// A JWKS file's text holding `keys`.
inline std::string jwks_text(const std::vector<nlohmann::json>& keys) {
    return nlohmann::json{{"keys", keys}}.dump();
}

}  // namespace relay::plugins::jwt::testing
