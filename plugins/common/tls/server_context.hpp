#pragma once
/// A TLS server's identity read from PEM files into a Boost.Asio ssl::context: what the
/// websocket transport and the admin server load at start, and again on SIGHUP.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relay::tls {

/// The oldest protocol version a server accepts; never below TLS 1.2.
enum class MinVersion { tls1_2, tls1_3 };

/// Where a server's certificate and key come from.
struct ServerFiles {
    std::string certificate;  ///< PEM: the server's certificate, then its chain
    std::string private_key;  ///< PEM: the certificate's private key, not encrypted
    MinVersion min_version = MinVersion::tls1_2;
};

/// A file of ServerFiles that could not be used; what() names it and OpenSSL's reason.
class LoadError : public std::runtime_error {
public:
    enum class File { certificate, private_key };
    LoadError(File file, const std::string& what) : std::runtime_error(what), file_(file) {}
    File file() const { return file_; }

private:
    File file_;
};

/// The setting that names `file` in a section that serves TLS: tls_cert, tls_key.
std::string_view setting_name(LoadError::File file);

/// What is wrong with a section's tls_cert and tls_key (nullopt: unset), as `relay
/// check` reports it: they go together, and the files must read and match.
struct SettingsProblem {
    LoadError::File file;  ///< the setting to point at
    std::string message;
};
std::optional<SettingsProblem> check_settings(const std::optional<std::string>& tls_cert,
                                              const std::optional<std::string>& tls_key);

/// A server context with `files`' certificate chain and the key that matches it, TLS
/// from `min_version` up with OpenSSL's default ciphers, no compression and no
/// renegotiation. Throws LoadError. The context may serve any number of connections on
/// any threads; each connection keeps it alive for as long as it lives (hold it by the
/// shared_ptr), so a reload swaps in a new one without touching open connections.
std::shared_ptr<boost::asio::ssl::context> load_server_context(const ServerFiles& files);

}  // namespace relay::tls
