#pragma once
/// The request the auth service receives: `POST url` with a JSON body that says what the
/// client presented. Pure, no I/O.
///
///     {"auth": {"token": "..."}, "headers": {"authorization": "Bearer ..."},
///      "query": "EIO=4&transport=websocket", "remote_address": "203.0.113.7",
///      "room": "general", "refresh": false}
#include "http_url.hpp"

#include <relay/sdk/auth.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <vector>

namespace relay::plugins::http_auth {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

/// The JSON body for `handshake`. `auth` is the CONNECT auth object parsed (`{}` when it
/// is not JSON); `headers` holds only the handshake headers named in `forward_headers`
/// (lower-case names, compared case-insensitively), keyed by lower-case name, a repeated
/// header joined as HTTP joins it (`, `, or `; ` for cookie). Bytes that are not UTF-8
/// become U+FFFD: the body is always valid JSON.
std::string request_body(const sdk::Handshake& handshake,
                         const std::vector<std::string>& forward_headers);

/// `POST url.target` to `url.host` carrying `body` as application/json. `keep_alive`
/// false asks the server to close the connection after its answer.
Request make_request(const HttpUrl& url, std::string body, bool keep_alive);

}  // namespace relay::plugins::http_auth
