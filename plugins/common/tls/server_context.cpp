#include "tls/server_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace relay::tls {
namespace {

namespace ssl = boost::asio::ssl;

/// The earliest error OpenSSL queued (the cause; later ones say where it surfaced).
/// Empties the queue, so the next call starts clean.
struct OpenSslError {
    unsigned long code = 0;
    std::string reason;

    static OpenSslError take() {
        OpenSslError error{ERR_get_error(), "unknown error"};
        ERR_clear_error();
        if (error.code != 0) {
            if (const char* reason = ERR_reason_error_string(error.code)) error.reason = reason;
        }
        return error;
    }
    bool key_mismatch() const {
        return ERR_GET_LIB(code) == ERR_LIB_X509 &&
               ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
    }
};

/// Empty when `path` opens for reading, else why not (OpenSSL would say only "system
/// lib" for a missing file).
std::string unreadable(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    return file ? std::string() : std::error_code(errno, std::generic_category()).message();
}

}  // namespace

std::shared_ptr<ssl::context> load_server_context(const ServerFiles& files) {
    using File = LoadError::File;
    if (const auto why = unreadable(files.certificate); !why.empty()) {
        throw LoadError(File::certificate, "cannot read " + files.certificate + ": " + why);
    }
    if (const auto why = unreadable(files.private_key); !why.empty()) {
        throw LoadError(File::private_key, "cannot read " + files.private_key + ": " + why);
    }
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    ERR_clear_error();
    // Renegotiation is a denial-of-service lever and unused by browsers; compression
    // leaks secrets (CRIME). Below TLS 1.2 nothing is accepted.
    SSL_CTX_set_options(
        native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_min_proto_version(
        native, files.min_version == MinVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
    // Idle connections (most WebSockets, most of the time) give their record buffers
    // back instead of holding some 34 KiB each.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // An encrypted key must fail here, not stop the server asking for a passphrase on
    // its terminal.
    SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });

    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1) {
        throw LoadError(File::certificate, "no certificate chain in " + files.certificate + ": " +
                                               OpenSslError::take().reason);
    }
    const auto mismatch = [&files](const std::string& reason) {
        return LoadError(File::private_key, files.private_key +
                                                " is not the key of the certificate in " +
                                                files.certificate + ": " + reason);
    };
    if (SSL_CTX_use_PrivateKey_file(native, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
        const auto error = OpenSslError::take();
        if (error.key_mismatch()) throw mismatch(error.reason);
        throw LoadError(File::private_key,
                        "no private key in " + files.private_key + ": " + error.reason);
    }
    // OpenSSL compares them when the key is set; this is the check it documents for it.
    if (SSL_CTX_check_private_key(native) != 1) throw mismatch(OpenSslError::take().reason);
    return context;
}

std::string_view setting_name(LoadError::File file) {
    return file == LoadError::File::certificate ? "tls_cert" : "tls_key";
}

std::optional<SettingsProblem> check_settings(const std::optional<std::string>& tls_cert,
                                              const std::optional<std::string>& tls_key) {
    if (tls_cert.has_value() != tls_key.has_value()) {
        return tls_cert ? SettingsProblem{LoadError::File::certificate,
                                          "tls_cert and tls_key go together: tls_key is not set"}
                        : SettingsProblem{LoadError::File::private_key,
                                          "tls_cert and tls_key go together: tls_cert is not set"};
    }
    if (!tls_cert) return std::nullopt;
    try {
        load_server_context({*tls_cert, *tls_key});
    } catch (const LoadError& e) {
        return SettingsProblem{e.file(), e.what()};
    }
    return std::nullopt;
}

}  // namespace relay::tls
