#include "pem_keys.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

namespace relay::plugins::jwt {

namespace {

/// One block of PEM text, as PEM_read_bio hands it out (each part OPENSSL_malloc'd).
struct PemBlock {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long size = 0;

    PemBlock() = default;
    PemBlock(const PemBlock&) = delete;
    PemBlock& operator=(const PemBlock&) = delete;
    PemBlock(PemBlock&&) = delete;
    PemBlock& operator=(PemBlock&&) = delete;
    ~PemBlock() {
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
};

bool is_private_key(std::string_view name) {
    return name.find("PRIVATE KEY") != std::string_view::npos;
}

/// The public key of one block, null for a block that holds none (or is broken).
PkeyHandle block_public_key(std::string_view name, const PemBlock& block) {
    const unsigned char* in = block.data;
    if (name == "PUBLIC KEY") return PkeyHandle(d2i_PUBKEY(nullptr, &in, block.size));
    if (name == "RSA PUBLIC KEY") {
        return PkeyHandle(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &in, block.size));
    }
    X509Handle certificate(d2i_X509(nullptr, &in, block.size));
    return PkeyHandle(certificate ? X509_get_pubkey(certificate.get()) : nullptr);
}

}  // namespace

std::optional<KeyFamily> family_of_public_key(EVP_PKEY* key) noexcept {
    if (EVP_PKEY_is_a(key, "RSA") == 1) return KeyFamily::rsa;
    if (EVP_PKEY_is_a(key, "ED25519") == 1) return KeyFamily::ed25519;
    if (EVP_PKEY_is_a(key, "EC") == 1) {
        std::array<char, 64> group{};
        std::size_t length = 0;
        if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) == 1) {
            const std::string_view name(group.data(), length);
            if (name == "prime256v1" || name == "P-256") return KeyFamily::ec_p256;
        }
    }
    return std::nullopt;
}

ParsedKeys pem_public_keys(std::string_view pem, const std::string& origin) {
    BioHandle bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return ParsedKeys::failed("out of memory");
    ParsedKeys parsed;
    int block_number = 0;
    for (;;) {
        PemBlock block;
        if (PEM_read_bio(bio.get(), &block.name, &block.header, &block.data, &block.size) != 1) {
            break;  // the end, or text that is not PEM (an error if no key came before)
        }
        ++block_number;
        const std::string_view name(block.name);
        const std::string which =
            "block " + std::to_string(block_number) + " (" + std::string(name) + ")";
        if (is_private_key(name)) {
            parsed = ParsedKeys::failed(which +
                                        " is a private key: give relay only the public key "
                                        "(openssl pkey -pubout) or a certificate");
            break;
        }
        if (name != "PUBLIC KEY" && name != "RSA PUBLIC KEY" && name != "CERTIFICATE") continue;
        PkeyHandle key = block_public_key(name, block);
        if (!key) {
            parsed = ParsedKeys::failed(which + " does not parse");
            break;
        }
        const auto family = family_of_public_key(key.get());
        if (!family) {
            parsed =
                ParsedKeys::failed(which + " holds a key that is not RSA, EC P-256 or Ed25519");
            break;
        }
        VerifyKey verify_key;
        verify_key.family = *family;
        verify_key.public_key = std::move(key);
        verify_key.origin = origin;
        parsed.keys.push_back(std::move(verify_key));
    }
    // The end of the text leaves "no start line" on the queue; nothing else may see it.
    ERR_clear_error();
    if (parsed.error.empty() && parsed.keys.empty()) {
        return ParsedKeys::failed("no PEM public key or certificate in it");
    }
    if (!parsed.error.empty()) parsed.keys.clear();
    return parsed;
}

}  // namespace relay::plugins::jwt
