#pragma once
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/store.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::postgres {

/// Errors from the server (category "postgres"): the value packs the SQLSTATE,
/// message() reads "postgres error 23505 (unique_violation)". The server's full
/// message goes to the plugin's log.
const std::error_category& postgres_category() noexcept;
std::error_code make_postgres_error(std::string_view sqlstate) noexcept;
/// The SQLSTATE of an error of postgres_category().
std::string sqlstate_of(const std::error_code& ec);

/// The database's schema is newer than this build knows (category "postgres schema").
/// message() names both versions.
const std::error_category& schema_category() noexcept;
std::error_code make_schema_too_new_error(int database_version, int known_version) noexcept;

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

/// Message history in PostgreSQL, through libpq's asynchronous API on the plugin's
/// executor: no thread of the store ever waits for the database.
///
/// start() connects the writer, applies the schema migrations the database lacks
/// (refusing a database whose schema is newer than this build), then connects
/// `pool_size` readers. Appends queue for the one writer connection, which writes
/// them in batches of at most `batch_max` messages / `batch_max_bytes`, one
/// statement and one transaction each, pipelined (a second batch is sent while the
/// first commits when a full one is waiting). `append`'s callback succeeds once its
/// messages are committed; ids already stored are skipped. History queries run on
/// the readers, never behind a write.
///
/// A lost connection is replaced (backoff from `retry_backoff` up to
/// `retry_backoff_max`); the batches it had in flight are written again on the new
/// one (the insert is idempotent), and queries are asked again. An append still not
/// done `retry_timeout` after it was made, or a query not answered within
/// `history_timeout`, fails with Errc::unavailable; while the writer's connection is
/// lost, a reconnect found the server out of reach, and no reader is up, a query fails
/// at once (and those waiting fail then). Losing the writer's connection
/// reports the store unavailable (sdk::Health: /readyz 503); it recovers once a write
/// goes through again (the reconnection's set-up statements, or the first batch
/// waiting for it committed);
/// SQL errors fail the operation at once with a postgres_category() error. At most
/// 64 x batch_max messages wait for the writer; beyond that appends fail with
/// Errc::queue_full.
///
/// Thread safety: every member may be called from any thread. Callbacks run on the
/// context's executor, exactly once, never inside the call that started them, and
/// never after stop() completed. stop() finishes the queued appends and queries,
/// closes the connections, then completes; later calls answer Errc::shutting_down.
/// Destroying the store without stop() answers what is pending with shutting_down.
class PostgresStore final : public sdk::Store {
public:
    PostgresStore(Settings settings, sdk::PluginContext& ctx);
    ~PostgresStore() override;
    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;
    PostgresStore(PostgresStore&&) = delete;
    PostgresStore& operator=(PostgresStore&&) = delete;

    void start(sdk::Done done) override;
    void append(std::vector<sdk::Message> batch, sdk::Done done) override;
    void history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) override;
    void migrate(sdk::MigrateDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    std::shared_ptr<Core> core_;
};

}  // namespace relay::plugins::postgres
