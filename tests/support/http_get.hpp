#pragma once
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace relay::testing {

struct HttpAnswer {
    int status = 0;  ///< 0: no answer (connection refused, closed, timed out)
    std::string body;
};

/// One GET to 127.0.0.1:`port`, for admin endpoints, with `headers` besides Host.
/// Never throws: a failure is status 0 with the error in the body, so a test can wait
/// for an answer.
inline HttpAnswer http_get(std::uint16_t port, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    try {
        boost::asio::io_context io;
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds(5));
        stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        http::request<http::empty_body> request{http::verb::get, target, 11};
        request.set(http::field::host, "127.0.0.1");
        for (const auto& [name, value] : headers) request.set(name, value);
        http::write(stream, request);
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        beast::error_code ignored;
        stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        return {static_cast<int>(response.result_int()), response.body()};
    } catch (const std::exception& e) {
        return {0, e.what()};
    }
}

}  // namespace relay::testing
