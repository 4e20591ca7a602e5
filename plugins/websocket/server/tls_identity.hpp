#pragma once
#include "server/telemetry.hpp"
#include "tls/server_context.hpp"

#include <memory>

#include <boost/asio/ssl/context.hpp>

namespace relay::plugins::websocket {

/// The listener's certificate and key (transport.tls_cert, tls_key) as the context new
/// connections are made with.
/// Thread safety: one thread, the transport's control executor (accept runs there).
class TlsIdentity {
public:
    /// Reads `files`; throws std::runtime_error naming the setting, the file and
    /// OpenSSL's reason.
    TlsIdentity(tls::ServerFiles files, Telemetry& telemetry);

    boost::asio::ssl::context& context() { return *context_; }

private:
    tls::ServerFiles files_;
    Telemetry& telemetry_;
    std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace relay::plugins::websocket
