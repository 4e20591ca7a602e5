#include "server/tls_identity.hpp"

#include <stdexcept>
#include <string>

namespace relay::plugins::websocket {
namespace {

/// "tls_key: cannot read /etc/relay/key.pem: Permission denied"
std::string named(const tls::LoadError& error) {
    return std::string(tls::setting_name(error.file())) + ": " + error.what();
}

}  // namespace

TlsIdentity::TlsIdentity(tls::ServerFiles files, Telemetry& telemetry)
    : files_(std::move(files)), telemetry_(telemetry) {
    try {
        context_ = tls::load_server_context(files_);
    } catch (const tls::LoadError& e) {
        throw std::runtime_error(named(e));
    }
}

}  // namespace relay::plugins::websocket
