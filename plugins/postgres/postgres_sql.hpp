#pragma once
/// The SQL of the writer and the history readers.
#include <string_view>

namespace relay::plugins::postgres {

/// The SQL the store runs, public so tests can EXPLAIN it and the benchmark can
/// compare it with other ways of writing.
namespace sql {
/// One statement for a whole batch: ten array parameters, one element per message
/// ($7 holds every attachment of the batch; $8/$9 are each message's first index
/// into it and count). Duplicates (by id) are skipped.
inline constexpr std::string_view kInsert =
    "INSERT INTO relay_messages (id, room, ts_ms, sender, user_name, payload, attachments, "
    "position) "
    "SELECT m.id, m.room, m.ts_ms, m.sender, m.user_name, m.payload, "
    "CASE WHEN m.n = 0 THEN NULL ELSE ($7::bytea[])[m.first : m.first + m.n - 1] END, "
    "m.position "
    "FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], "
    "$8::int4[], $9::int4[], $10::text[]) "
    "AS m(id, room, ts_ms, sender, user_name, payload, first, n, position) "
    "ON CONFLICT (id) DO NOTHING";
/// The last $2 of room $1, newest first.
inline constexpr std::string_view kHistoryLast =
    "SELECT id, room, ts_ms, sender, user_name, payload, attachments, position "
    "FROM relay_messages WHERE room = $1 ORDER BY id DESC LIMIT $2";
/// The last $3 of room $1 older than $2, newest first.
inline constexpr std::string_view kHistoryBefore =
    "SELECT id, room, ts_ms, sender, user_name, payload, attachments, position "
    "FROM relay_messages WHERE room = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
/// The first $3 of room $1 newer than $2, oldest first.
inline constexpr std::string_view kHistoryAfter =
    "SELECT id, room, ts_ms, sender, user_name, payload, attachments, position "
    "FROM relay_messages WHERE room = $1 AND id > $2 ORDER BY id ASC LIMIT $3";
/// The first $4 of room $1 newer than $2 and older than $3, oldest first.
inline constexpr std::string_view kHistoryBetween =
    "SELECT id, room, ts_ms, sender, user_name, payload, attachments, position "
    "FROM relay_messages WHERE room = $1 AND id > $2 AND id < $3 ORDER BY id ASC LIMIT $4";
}  // namespace sql

/// Names of the prepared statements (one session each: the writer prepares the
/// insert, every reader the four history queries).
namespace statement_name {
inline constexpr const char* kInsert = "relay_insert";
inline constexpr const char* kLast = "relay_last";
inline constexpr const char* kBefore = "relay_before";
inline constexpr const char* kAfter = "relay_after";
inline constexpr const char* kBetween = "relay_between";
}  // namespace statement_name

}  // namespace relay::plugins::postgres
