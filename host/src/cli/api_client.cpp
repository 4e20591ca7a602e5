#include "cli/api_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>

#include <openssl/ssl.h>

namespace relay::host {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

/// Runs the operations started on `io` until they finish; an error becomes
/// ApiUnreachable naming `what`.
void finish(boost::asio::io_context& io, const beast::error_code& ec, const std::string& what) {
    io.run();
    io.restart();
    if (ec == beast::error::timeout) throw ApiUnreachable(what + ": timed out");
    if (ec) throw ApiUnreachable(what + ": " + ec.message());
}

template <class Stream>
ApiAnswer exchange(boost::asio::io_context& io, Stream& stream, const AdminUrl& url,
                   http::request<http::string_body>& request, std::chrono::seconds timeout) {
    const std::string where = url.host + ":" + url.port;
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(timeout);
    http::async_write(stream, request, [&](beast::error_code e, std::size_t) { ec = e; });
    finish(io, ec, "sending to " + where);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} * 1024 * 1024);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    finish(io, ec, "reading the answer of " + where);
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace

AdminUrl AdminUrl::parse(const std::string& text) {
    AdminUrl url;
    std::string rest = text;
    if (rest.starts_with("https://")) {
        url.tls = true;
        rest = rest.substr(8);
    } else if (rest.starts_with("http://")) {
        rest = rest.substr(7);
    } else if (rest.find("://") != std::string::npos) {
        throw std::invalid_argument("'" + text + "': only http:// and https:// are spoken");
    }
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        if (rest.find_first_not_of('/', slash) != std::string::npos) {
            throw std::invalid_argument("'" + text +
                                        "': give the admin listener only, without a path");
        }
        rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':');
    if (rest.empty() || colon == std::string::npos || colon + 1 == rest.size() ||
        rest.back() == ']') {
        throw std::invalid_argument("'" + text + "': expected http://HOST:PORT");
    }
    url.host = rest.substr(0, colon);
    url.port = rest.substr(colon + 1);
    if (url.port.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument("'" + text + "': the port is not a number");
    }
    if (url.host.size() >= 2 && url.host.front() == '[') {
        url.host = url.host.substr(1, url.host.size() - 2);
    }
    return url;
}

ApiAnswer call_api(const AdminUrl& url, const std::string& token, const std::string& method,
                   const std::string& target, const std::string& body,
                   const std::optional<std::string>& ca_file, std::chrono::seconds timeout) {
    boost::asio::io_context io;
    const std::string where = url.host + ":" + url.port;
    beast::error_code ec;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                               ec = e;
                               endpoints = std::move(r);
                           });
    finish(io, ec, "resolving " + url.host);

    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, where);
    request.set(http::field::user_agent, "relay-cli/" RELAY_VERSION);
    request.set(http::field::accept, "application/json");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
    }
    request.keep_alive(false);
    request.prepare_payload();

    if (!url.tls) {
        beast::tcp_stream stream(io);
        stream.expires_after(timeout);
        stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
        finish(io, ec, "connecting to " + where);
        return exchange(io, stream, url, request, timeout);
    }
    ssl::context context(ssl::context::tls_client);
    if (ca_file) {
        context.load_verify_file(*ca_file, ec);
        if (ec) throw ApiUnreachable("--cacert " + *ca_file + ": " + ec.message());
    } else {
        context.set_default_verify_paths();
    }
    context.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    // SNI and the name the certificate must carry.
    if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
        throw ApiUnreachable("cannot set the TLS server name " + url.host);
    }
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).async_connect(
        endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    finish(io, ec, "connecting to " + where);
    stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    finish(io, ec, "TLS with " + where);
    return exchange(io, stream, url, request, timeout);
}

std::string url_encode(const std::string& text) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4U];
            out += kHex[u & 15U];
        }
    }
    return out;
}

}  // namespace relay::host
