#pragma once
/// Where a Valkey server is and how to log in: parsed from `host:port` or a
/// `redis://[user:password@]host:port[/db]` URL. Pure, no I/O.
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::plugins::valkey {

struct Address {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string user;      ///< ACL user; empty: the default user
    std::string password;  ///< empty: no AUTH
    int database = 0;

    /// `host:port` for log lines (never the password).
    std::string endpoint() const;
};

/// Parses `text`: `host`, `host:port`, `[v6]:port`, or `redis://` / `valkey://` URLs
/// with optional `user:password@` (percent-encoded) and `/db`. Throws
/// std::invalid_argument with a message that says what is wrong ("expected ...").
Address parse_address(std::string_view text);

}  // namespace relay::plugins::valkey
