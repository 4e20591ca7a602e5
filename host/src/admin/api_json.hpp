#pragma once
#include <relay/sdk/message.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/store.hpp>

#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace relay::host::api {

/// A message as a client's `message` event shows it: the sender's fields, then the
/// server's (`id`, `room`, `ts`, `sender`, `user`) replacing any of the same name; its
/// binary attachments, if any, as base64 strings in `_attachments`.
std::string message_json(const sdk::Message& msg);

/// A page of history as the API answers it: `{"messages": [...]}` with the messages
/// oldest first, at most `max_bytes` of them (the newest that fit, or for an `after`
/// query the oldest), never none when there are some; when some did not fit, `"next"`
/// is the next query's cursor, as a client's history ack has it: `{"more": true,
/// "before": "<oldest id>"}` (`"after": "<newest id>"` for an `after` query).
std::string history_page_json(const std::vector<sdk::Message>& messages,
                              const sdk::HistoryQuery& query, std::size_t max_bytes);

/// `{"room": .., "count": n, "members": [{"sid", "user", "node", "joined"}, ..]}`.
std::string presence_json(const std::string& room, const std::vector<sdk::Member>& members);

/// The live nodes as `GET /api/v1/nodes` and /admin/stats list them, in the order
/// given: `[{"node": .., "members": n, "self": true|false}, ..]`, `self` marking
/// `self_id` (the node answering).
nlohmann::json nodes_list(const std::vector<sdk::NodeInfo>& nodes, const std::string& self_id);

/// Why presence answered `ec` instead of the nodes, in words for the page and the API:
/// "this presence does not list nodes" for Errc::not_supported.
std::string nodes_problem(std::error_code ec);

}  // namespace relay::host::api
