#pragma once
/// The kafka queue's record format: one chat message as a plain JSON object, readable
/// by any Kafka tool. Pure code (no I/O, no librdkafka), tested alone.
///
///     {"id":"…","room":"…","ts":1700000000000,"sender":"…","user":"…",
///      "payload":{…the client's JSON, embedded as is…},"attachments":["<base64>",…]}
///
/// The record key is the room. `payload` is the client's JSON text spliced in
/// verbatim (never re-serialised, so it reads back byte for byte); a payload that is
/// not valid JSON travels as the string `payload_text` instead. `attachments` (binary
/// Socket.IO attachments, base64) is left out when there are none. The position is
/// not part of the record: it is where the record sits in the log.
#include <relay/sdk/message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::plugins::kafka {

/// The record value for `msg` (everything but its position).
std::string encode_record(const sdk::Message& msg);

/// Reads a record value back. nullopt when it is not a Relay record; `error` (when
/// given) then says why, for a log line. A record of another service may leave out
/// "id" (or give null): the message then has an empty id, for the caller to assign
/// (ingested_id.hpp), and its "payload" must be a JSON object. "room" is needed,
/// non-empty and free of control characters; every field has its type.
std::optional<sdk::Message> decode_record(std::string_view value, std::string* error = nullptr);

/// True when `text` is exactly one JSON value (surrounding whitespace allowed).
bool is_json(std::string_view text);

std::string base64_encode(std::string_view bytes);
/// nullopt for text that is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace relay::plugins::kafka
