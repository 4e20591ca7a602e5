#pragma once
/// Where the auth service listens: an `http://host[:port]/path` URL split into what a
/// request needs. Pure, no I/O.
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::plugins::http_auth {

struct HttpUrl {
    std::string host;          ///< a name, an IPv4 address or an IPv6 address (no brackets)
    std::uint16_t port = 80;   ///< 80 when the URL names none
    std::string target = "/";  ///< path and query, as the request line carries them

    /// `host:port` (`[v6]:port`): the Host header and log lines.
    std::string authority() const;
    /// The URL again, normalised (`http://host:port/path`), for log lines.
    std::string text() const;
};

/// Parses `text`: `http://host[:port][/path][?query]`, host a name, an IPv4 address or
/// `[v6]`. Throws std::invalid_argument with a message that says what is wrong
/// ("expected ..., got ...") for anything else: another scheme (https is refused with
/// its own message: TLS is not supported yet), credentials, a fragment, a bad port, or
/// spaces and control characters, which would break the request line.
HttpUrl parse_http_url(std::string_view text);

}  // namespace relay::plugins::http_auth
