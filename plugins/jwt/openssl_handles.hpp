#pragma once
/// OpenSSL's C handles, each in a unique_ptr with its free function.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>

namespace relay::plugins::jwt {

template <auto Free>
struct OpenSslFree {
    template <class T>
    void operator()(T* handle) const noexcept {
        Free(handle);
    }
};

using PkeyHandle = std::unique_ptr<EVP_PKEY, OpenSslFree<&EVP_PKEY_free>>;
using PkeyCtxHandle = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<&EVP_PKEY_CTX_free>>;
using MdCtxHandle = std::unique_ptr<EVP_MD_CTX, OpenSslFree<&EVP_MD_CTX_free>>;
using BioHandle = std::unique_ptr<BIO, OpenSslFree<&BIO_free>>;
using X509Handle = std::unique_ptr<X509, OpenSslFree<&X509_free>>;
using BignumHandle = std::unique_ptr<BIGNUM, OpenSslFree<&BN_free>>;
using EcdsaSigHandle = std::unique_ptr<ECDSA_SIG, OpenSslFree<&ECDSA_SIG_free>>;
using ParamBuildHandle = std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree<&OSSL_PARAM_BLD_free>>;
using ParamsHandle = std::unique_ptr<OSSL_PARAM, OpenSslFree<&OSSL_PARAM_free>>;

}  // namespace relay::plugins::jwt
