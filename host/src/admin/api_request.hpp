#pragma once
#include "admin/api_error.hpp"

#include <relay/sdk/store.hpp>
#include <relay/sdk/transport.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

/// The server API's requests, parsed and checked before anything of the pipeline is
/// touched: which endpoint, its room, its query and its body (docs/api.md). Pure
/// functions over text, so that every malformed request is answered (and unit-tested)
/// here, with the status and reason the caller gets.
namespace relay::host::api {

/// The longest room name the API accepts (the websocket transport's default
/// max_room_bytes): a name no client could join is refused rather than stored.
inline constexpr std::size_t kMaxRoomBytes = 128;
/// The longest user name a published message may carry.
inline constexpr std::size_t kMaxUserBytes = 128;
/// Most messages one history page asks the store for (the transport's history_max).
inline constexpr std::size_t kHistoryMaxLimit = 500;
inline constexpr std::size_t kHistoryDefaultLimit = 50;
/// Most rooms one /rooms answer lists.
inline constexpr std::size_t kRoomsMaxLimit = 1000;
inline constexpr std::size_t kRoomsDefaultLimit = 100;

/// POST /api/v1/rooms/{room}/messages
struct Publish {
    std::string room;
    std::string payload_json;  ///< the `message` object, as JSON text
    std::string user;          ///< may be empty
};
/// GET /api/v1/rooms/{room}/messages
struct History {
    std::string room;
    sdk::HistoryQuery query;
};
/// GET /api/v1/rooms/{room}/presence
struct Presence {
    std::string room;
};
/// GET /api/v1/rooms
struct Rooms {
    std::size_t limit = kRoomsDefaultLimit;
};
/// POST /api/v1/disconnect
struct Disconnect {
    sdk::DisconnectTarget target;
};
/// GET /api/v1/info
struct Info {};
/// GET /api/v1/nodes
struct Nodes {};

using Request = std::variant<Publish, History, Presence, Rooms, Disconnect, Info, Nodes>;

/// Either the request, or the error to answer. `allow`: with a 405, the methods the
/// path takes (for the Allow header).
struct Parsed {
    std::optional<Request> request;
    ApiError error;
    std::string allow;
};

/// True when `target` (path and query) belongs to the API (starts with /api/).
bool is_api_target(std::string_view target);

/// Parses `method` ("GET", "POST", ...), `target` (the path with its query, percent-
/// encoded) and `body` into a request, or the error to answer: 404 for an unknown
/// path, 405 for a method the path does not take, 400 for a bad room name, query or
/// body (not JSON, not an object, a field of the wrong type).
Parsed parse(std::string_view method, std::string_view target, std::string_view body);

/// `text` with %XX decoded; nullopt when an escape is malformed. `plus_is_space`: in a
/// query, `+` is a space.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

/// Why `room` cannot be a room (empty, too long, not UTF-8, a control character); empty
/// when it can.
std::string room_problem(std::string_view room);

}  // namespace relay::host::api
