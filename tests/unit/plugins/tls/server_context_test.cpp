// The TLS server context the websocket transport and the admin server load: what it
// accepts, and the error, word for word, for each file it cannot use. Keys and
// certificates come from the openssl CLI.
#include "tls/server_context.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <openssl/ssl.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using relay::testing::Process;
using relay::testing::TempDir;
using relay::tls::LoadError;
using relay::tls::MinVersion;
using relay::tls::ServerFiles;

class ServerContext : public ::testing::Test {
protected:
    void SetUp() override {
        openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", path("server.key"), "-out", path("server.pem"), "-days", "1",
                 "-subj", "/CN=127.0.0.1"});
        openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", path("other.key"), "-out", path("other.pem"), "-days", "1",
                 "-subj", "/CN=other"});
    }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    void openssl(std::vector<std::string> args) const {
        args.insert(args.begin(), "/usr/bin/openssl");
        const auto done = Process::run(std::move(args), dir_.path());
        ASSERT_EQ(done.exit_code, 0) << done.err;
    }

    /// The LoadError `files` gives, as "<file>: <what>"; "" when they load.
    static std::string error_of(const ServerFiles& files) {
        try {
            relay::tls::load_server_context(files);
        } catch (const LoadError& e) {
            return std::string(relay::tls::setting_name(e.file())) + ": " + e.what();
        }
        return "";
    }

    TempDir dir_{"relay-tls-test"};
};

TEST_F(ServerContext, ACertificateAndItsKeyLoad) {
    const auto context = relay::tls::load_server_context({path("server.pem"), path("server.key")});
    ASSERT_NE(context, nullptr);
    EXPECT_EQ(SSL_CTX_get_min_proto_version(context->native_handle()), TLS1_2_VERSION);
    EXPECT_NE(SSL_CTX_get_options(context->native_handle()) & SSL_OP_NO_RENEGOTIATION, 0U);
    EXPECT_NE(SSL_CTX_get_options(context->native_handle()) & SSL_OP_NO_COMPRESSION, 0U);

    const auto tls13 = relay::tls::load_server_context(
        {path("server.pem"), path("server.key"), MinVersion::tls1_3});
    EXPECT_EQ(SSL_CTX_get_min_proto_version(tls13->native_handle()), TLS1_3_VERSION);
}

TEST_F(ServerContext, EachUnusableFileIsNamedWithTheReason) {
    EXPECT_EQ(error_of({path("missing.pem"), path("server.key")}),
              "tls_cert: cannot read " + path("missing.pem") + ": No such file or directory");
    EXPECT_EQ(error_of({path("server.pem"), path("missing.key")}),
              "tls_key: cannot read " + path("missing.key") + ": No such file or directory");
    EXPECT_EQ(error_of({path("server.key"), path("server.key")}),
              "tls_cert: no certificate chain in " + path("server.key") + ": no start line");
    // OpenSSL 3's decoders say only this for a PEM file without a key.
    EXPECT_EQ(error_of({path("server.pem"), path("server.pem")}),
              "tls_key: no private key in " + path("server.pem") + ": unsupported");
    EXPECT_EQ(error_of({path("server.pem"), path("other.key")}),
              "tls_key: " + path("other.key") + " is not the key of the certificate in " +
                  path("server.pem") + ": key values mismatch");
}

TEST_F(ServerContext, AnEncryptedKeyFailsInsteadOfAskingForAPassphrase) {
    openssl({"pkey", "-in", path("server.key"), "-aes256", "-passout", "pass:secret", "-out",
             path("encrypted.key")});
    const auto error = error_of({path("server.pem"), path("encrypted.key")});
    EXPECT_TRUE(error.starts_with("tls_key: no private key in " + path("encrypted.key") + ": "))
        << error;
}

TEST_F(ServerContext, SettingsGoTogether) {
    using relay::tls::check_settings;
    EXPECT_FALSE(check_settings(std::nullopt, std::nullopt));
    EXPECT_FALSE(check_settings(path("server.pem"), path("server.key")));
    const auto cert_only = check_settings(path("server.pem"), std::nullopt);
    ASSERT_TRUE(cert_only);
    EXPECT_EQ(cert_only->file, LoadError::File::certificate);
    EXPECT_EQ(cert_only->message, "tls_cert and tls_key go together: tls_key is not set");
    const auto key_only = check_settings(std::nullopt, path("server.key"));
    ASSERT_TRUE(key_only);
    EXPECT_EQ(key_only->file, LoadError::File::private_key);
    EXPECT_EQ(key_only->message, "tls_cert and tls_key go together: tls_cert is not set");
    const auto mismatch = check_settings(path("server.pem"), path("other.key"));
    ASSERT_TRUE(mismatch);
    EXPECT_EQ(mismatch->file, LoadError::File::private_key);
}

}  // namespace
