#pragma once
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/store.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::sqlite {

/// Errors from sqlite (category "sqlite"): the value is sqlite's (extended) result
/// code, message() its text ("database is locked"). The full message, with the file,
/// goes to the plugin's log.
const std::error_category& sqlite_category() noexcept;
std::error_code make_sqlite_error(int result_code) noexcept;

/// The SQL the store runs, public so tests can EXPLAIN it.
namespace sql {
inline constexpr std::string_view kInsert =
    "INSERT INTO messages (id, room, ts_ms, sender, user, payload, attachments, position) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING";
/// The last ?2 of room ?1, newest first.
inline constexpr std::string_view kHistoryLast =
    "SELECT id, room, ts_ms, sender, user, payload, attachments, position FROM messages "
    "WHERE room = ?1 ORDER BY id DESC LIMIT ?2";
/// The last ?3 of room ?1 older than ?2, newest first.
inline constexpr std::string_view kHistoryBefore =
    "SELECT id, room, ts_ms, sender, user, payload, attachments, position FROM messages "
    "WHERE room = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
/// The first ?3 of room ?1 newer than ?2, oldest first.
inline constexpr std::string_view kHistoryAfter =
    "SELECT id, room, ts_ms, sender, user, payload, attachments, position FROM messages "
    "WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3";
/// The first ?4 of room ?1 newer than ?2 and older than ?3, oldest first.
inline constexpr std::string_view kHistoryBetween =
    "SELECT id, room, ts_ms, sender, user, payload, attachments, position FROM messages "
    "WHERE room = ?1 AND id > ?2 AND id < ?3 ORDER BY id ASC LIMIT ?4";
}  // namespace sql

/// Attachments as one BLOB: a 32-bit little-endian count, then each attachment as a
/// 32-bit little-endian length and its bytes. An empty list is stored as NULL.
std::string encode_attachments(const std::vector<std::string>& attachments);
/// nullopt when `blob` is not a valid encoding.
std::optional<std::vector<std::string>> decode_attachments(std::string_view blob);

/// Message history in one sqlite file (WAL journal).
///
/// Writes run on a writer thread of the store's own, one transaction per batch of at
/// most `batch_max` messages: appends that arrive while a transaction runs are merged
/// into the next one. Inserts skip ids already stored. Reads run on a reader thread
/// with a second connection, so history() never waits behind a write. At most
/// 64 x batch_max messages wait for the writer; appends beyond that fail with
/// Errc::queue_full (the queue retries them).
///
/// Thread safety: every member may be called from any thread. Callbacks run on the
/// context's executor, exactly once. Nothing throws. stop() finishes the queued
/// appends and reads, closes the file, then completes; later calls answer
/// Errc::shutting_down. Destroying the store without stop() also finishes the queued
/// appends (blocking) but does not call the stop callback.
class SqliteStore final : public sdk::Store {
public:
    SqliteStore(Settings settings, sdk::PluginContext& ctx);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;
    SqliteStore(SqliteStore&&) = delete;
    SqliteStore& operator=(SqliteStore&&) = delete;

    void start(sdk::Done done) override;
    void append(std::vector<sdk::Message> batch, sdk::Done done) override;
    void history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) override;
    void migrate(sdk::MigrateDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    std::unique_ptr<Core> core_;
};

}  // namespace relay::plugins::sqlite
