#pragma once
#include "postgres_errors.hpp"
#include "postgres_sql.hpp"
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/store.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::postgres {

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
