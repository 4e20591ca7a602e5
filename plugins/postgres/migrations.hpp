#pragma once
/// The store's schema as an ordered list of migrations. Each is applied once, in its
/// own transaction, and recorded in relay_schema_migrations. Never edit a released
/// migration: append a new one (and raise nothing else: the latest version is the
/// last entry's).
#include <span>
#include <string_view>

namespace relay::plugins::postgres {

struct Migration {
    int version;
    std::string_view description;
    std::span<const std::string_view> statements;  ///< one SQL statement each
};

namespace migration_sql {

// Each statement spans several literals.
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
inline constexpr std::string_view kV1[] = {
    // Ids and rooms compare byte by byte (COLLATE "C") whatever the database's
    // locale: ids are time-ordered only as plain byte strings. The payload is the
    // client's JSON text, verbatim (jsonb would reorder keys and reject some valid
    // JSON, such as "\u0000"); query it with payload::jsonb.
    "CREATE TABLE relay_messages ("
    " id text COLLATE \"C\" NOT NULL,"
    " room text COLLATE \"C\" NOT NULL,"
    " ts_ms bigint NOT NULL,"
    " sender text NOT NULL,"
    " user_name text NOT NULL,"
    " payload text NOT NULL,"
    " attachments bytea[],"
    " position text NOT NULL,"
    " CONSTRAINT relay_messages_pkey PRIMARY KEY (id))",
    // Serves "last N of a room" and "N before / after an id" as one range scan.
    "CREATE INDEX relay_messages_room_id ON relay_messages (room, id)",
    "COMMENT ON TABLE relay_messages IS 'Relay chat messages (store plugin postgres)'",
    "COMMENT ON COLUMN relay_messages.payload IS "
    "'the client''s JSON object as sent (verbatim text); use payload::jsonb to query it'",
    "COMMENT ON COLUMN relay_messages.attachments IS "
    "'Socket.IO binary attachments in order; NULL when there are none'",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

}  // namespace migration_sql

inline constexpr Migration kMigrations[] = {
    {1, "messages table and its (room, id) index", migration_sql::kV1},
};

/// The schema version this build knows: the last migration's.
inline constexpr int kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;

}  // namespace relay::plugins::postgres
