#pragma once
/// What the HTTP request that opened an Engine.IO session said, for the authentication
/// of its Socket.IO CONNECT (sdk::Handshake): the `room` header, every header, the
/// query string. Kept by the chat socket only until its CONNECT was decided, so an
/// idle connection does not hold its request's headers (a `refresh` carries only its
/// event's argument).

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace relay::plugins::websocket {

struct OpeningRequest {
    std::string room_header;  ///< the room asked for in a `room` header, if any
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-case
    std::string query;                                         ///< without the `?`
};

/// The parts of `request` a session keeps for its CONNECT.
OpeningRequest opening_request(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace relay::plugins::websocket
