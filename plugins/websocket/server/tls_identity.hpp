#pragma once
#include "server/telemetry.hpp"
#include "tls/server_context.hpp"

#include <memory>

#include <boost/asio/ssl/context.hpp>

namespace relay::plugins::websocket {

/// The listener's certificate and key (transport.tls_cert, tls_key) as the context new
/// connections are made with. reload() reads the files again and swaps in a new
/// context: new handshakes present the new certificate, while connections already open
/// keep theirs (each holds a reference on its context's OpenSSL state). A reload whose
/// files do not read keeps the old context, logs a warning naming the file and counts
/// it.
/// Thread safety: one thread, the transport's control executor (accept and SIGHUP run
/// there).
class TlsIdentity {
public:
    /// Reads `files`; throws std::runtime_error naming the setting, the file and
    /// OpenSSL's reason.
    TlsIdentity(tls::ServerFiles files, Telemetry& telemetry);

    boost::asio::ssl::context& context() { return *context_; }
    void reload();

private:
    tls::ServerFiles files_;
    Telemetry& telemetry_;
    std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace relay::plugins::websocket
