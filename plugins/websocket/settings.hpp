#pragma once
/// The websocket transport's configuration: its keys as data (schema(), with each
/// default and meaning), the checks that span keys, and the parsing into the plain
/// Settings the server takes.
#include "tls/server_context.hpp"

#include <relay/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::websocket {

// One per process, read at start: its fields stay in the order of the schema.
struct Settings {  // NOLINT(clang-analyzer-optin.performance.Padding)
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 3000;
    std::string path = "/socket.io/";  ///< Engine.IO endpoint, with both slashes
    /// PEM files; both set: the listener speaks only TLS (https, wss), neither: plain TCP.
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    tls::MinVersion tls_min_version = tls::MinVersion::tls1_2;
    std::uint64_t max_payload = 1'000'000;
    /// Open TCP connections, and, separately, Engine.IO sessions (polling ones included).
    std::uint64_t max_connections = 100'000;
    // Per remote address; 0: off (the default: behind a proxy or NAT every client has
    // one address). See refusal.hpp for the answers.
    std::uint64_t max_connections_per_address = 0;       ///< open TCP connections
    std::uint64_t max_polling_sessions_per_address = 0;  ///< sessions opened over polling
    double connection_rate_per_address = 0;              ///< new TCP connections a second
    std::uint64_t connection_burst_per_address = 20;
    /// Longest room and user names (bytes of UTF-8) a CONNECT may claim.
    std::size_t max_room_bytes = 128;
    std::size_t max_user_bytes = 128;
    std::chrono::milliseconds ping_interval{25'000};
    std::chrono::milliseconds ping_timeout{20'000};
    std::chrono::milliseconds handshake_timeout{10'000};  ///< HTTP request / WS upgrade
    std::chrono::milliseconds connect_timeout{45'000};    ///< Engine.IO open → Socket.IO CONNECT
    bool polling = true;
    bool websocket = true;
    std::vector<std::string> cors_origins;  ///< polling origins besides the same one; "*": any
    std::vector<std::string> ws_origins;    ///< WebSocket origins besides the same one; "*": any
    std::uint64_t max_queued_bytes =
        std::uint64_t{4} * 1024 * 1024;  ///< per connection, then dropped
    bool recovery = true;
    std::chrono::milliseconds recovery_window{120'000};
    /// Signs the recovery tokens (the pids); the same on every node of a cluster so that
    /// a session recovers on any of them. Empty: a random one per process.
    std::string recovery_secret;
    /// Bytes of recent messages kept for recovery (shared by the I/O threads).
    std::uint64_t recovery_buffer = std::uint64_t{64} * 1024 * 1024;
    bool presence_events = true;
    std::uint64_t history_max = 500;
    /// Bytes of stored messages sent to a client at once (a `history` page, a recovery's
    /// missed messages); below max_queued_bytes, so such a reply never drops a client.
    std::uint64_t history_max_bytes = std::uint64_t{1} * 1024 * 1024;
    bool serve_page = true;
};

/// Every key the plugin accepts, with its default and meaning.
sdk::Schema schema();
/// What one key's own rules cannot say: the rules across keys (max_queued_bytes against
/// max_payload, ...), the path's shape, the recovery secret's length, the TLS files
/// (both or neither, readable, the key the certificate's).
std::vector<sdk::KeyProblem> check_settings(const sdk::ConfigView& config);
/// The section, already checked against schema() and check_settings().
Settings parse_settings(const sdk::ConfigView& config);

}  // namespace relay::plugins::websocket
