#pragma once
// One stored message as one line of JSON, and back:
//   {"id":"…","room":"…","ts":1700000000000,"sender":"…","user":"…","position":"…",
//    "payload":{…the client's object, as it came…},"attachments":["<base64>",…]}
// The payload is embedded as it is (the host sends a store nothing but JSON objects),
// so `jq .payload.text` reads a file, and it reads back byte for byte.
#include <relay/sdk/message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jsonl_store {

/// The line for `msg`, ending in '\n'. `remote_address` is not stored: it is the
/// edge's, not the message's (sdk/message.hpp).
std::string to_json_line(const relay::sdk::Message& msg);

/// The message a line (without its '\n') holds, or nothing when it is not one.
std::optional<relay::sdk::Message> from_json_line(std::string line);

}  // namespace jsonl_store
