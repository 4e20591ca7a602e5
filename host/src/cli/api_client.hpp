#pragma once
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace relay::host {

/// A node's admin listener as the CLI reaches it: `http://host:port` or
/// `https://host:port` (verified against the system's CAs, or `ca_file`).
struct AdminUrl {
    bool tls = false;
    std::string host;
    std::string port;
    /// Parses "http://127.0.0.1:9100", "https://relay.example:9100/", "127.0.0.1:9100"
    /// (http); throws std::invalid_argument saying what is wrong.
    static AdminUrl parse(const std::string& text);
};

/// The node could not be reached, or did not answer in time, or not in HTTP.
class ApiUnreachable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ApiAnswer {
    int status = 0;
    std::string body;
};

/// One request to the server API with `token` as its bearer token; a JSON `body` when
/// non-empty. Throws ApiUnreachable (connection refused, TLS failure, `timeout`).
ApiAnswer call_api(const AdminUrl& url, const std::string& token, const std::string& method,
                   const std::string& target, const std::string& body,
                   const std::optional<std::string>& ca_file,
                   std::chrono::seconds timeout = std::chrono::seconds(40));

/// `text` percent-encoded for one path segment or query value (RFC 3986 unreserved
/// characters stay as they are).
std::string url_encode(const std::string& text);

}  // namespace relay::host
