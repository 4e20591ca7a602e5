#include "server/opening_request.hpp"

#include <algorithm>
#include <cctype>

namespace relay::plugins::websocket {

OpeningRequest opening_request(
    const boost::beast::http::request<boost::beast::http::string_body>& request) {
    OpeningRequest opening;
    opening.room_header = std::string(request["room"]);
    opening.headers.reserve(
        static_cast<std::size_t>(std::distance(request.base().begin(), request.base().end())));
    for (const auto& field : request.base()) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        opening.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    const std::string_view target = request.target();
    if (const auto question = target.find('?'); question != std::string_view::npos) {
        opening.query = std::string(target.substr(question + 1));
    }
    return opening;
}

}  // namespace relay::plugins::websocket
