#include "auth_request.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace relay::plugins::http_auth {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

nlohmann::json forwarded_headers(const sdk::Handshake& handshake,
                                 const std::vector<std::string>& forward_headers) {
    auto headers = nlohmann::json::object();
    for (const auto& [name, value] : handshake.headers) {
        std::string key = lower(name);
        if (std::find(forward_headers.begin(), forward_headers.end(), key) ==
            forward_headers.end()) {
            continue;
        }
        auto& slot = headers[key];
        if (slot.is_null()) {
            slot = value;
        } else {
            // Cookies are joined with "; " (RFC 6265 5.4); every other list with ", ".
            slot = slot.get<std::string>() + (key == "cookie" ? "; " : ", ") + value;
        }
    }
    return headers;
}

}  // namespace

std::string request_body(const sdk::Handshake& handshake,
                         const std::vector<std::string>& forward_headers) {
    auto auth = nlohmann::json::parse(handshake.auth_json, nullptr, /*allow_exceptions=*/false);
    if (auth.is_discarded()) auth = nlohmann::json::object();
    const nlohmann::json body = {
        {"auth", std::move(auth)},  {"headers", forwarded_headers(handshake, forward_headers)},
        {"query", handshake.query}, {"remote_address", handshake.remote_address},
        {"room", handshake.room},   {"refresh", handshake.refresh},
    };
    // Headers and the query are the client's bytes: replace what is not UTF-8 rather
    // than throw (dump's default).
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Request make_request(const HttpUrl& url, std::string body, bool keep_alive) {
    namespace http = boost::beast::http;
    Request request{http::verb::post, url.target, 11};
    request.set(http::field::host, url.authority());
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    request.set(http::field::user_agent, "relay-http-auth");
    request.body() = std::move(body);
    request.keep_alive(keep_alive);
    request.prepare_payload();
    return request;
}

}  // namespace relay::plugins::http_auth
