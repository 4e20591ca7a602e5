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

void TlsIdentity::reload() {
    try {
        context_ = tls::load_server_context(files_);
    } catch (const tls::LoadError& e) {
        telemetry_.tls_reload_failures.add();
        telemetry_.log.warn("TLS reload kept the previous certificate: " + named(e));
        return;
    }
    telemetry_.tls_reloads.add();
    telemetry_.log.info("TLS certificate reloaded from " + files_.certificate);
}

}  // namespace relay::plugins::websocket
