#include "store_context.hpp"

#include "pg_codec.hpp"

#include <utility>

namespace relay::plugins::postgres {

StoreMetrics StoreMetrics::register_in(sdk::Metrics& metrics) {
    return StoreMetrics{
        .batches = metrics.counter("postgres_store_batches_total", "write transactions committed"),
        .written = metrics.counter("postgres_store_messages_written_total",
                                   "messages written (duplicates included)"),
        .duplicates = metrics.counter("postgres_store_duplicates_total",
                                      "messages skipped because their id was stored"),
        .errors = metrics.counter("postgres_store_errors_total",
                                  "failed statements and connection losses"),
        .reconnects = metrics.counter("postgres_store_reconnects_total",
                                      "connections re-established after a loss"),
        .queries =
            metrics.counter("postgres_store_history_queries_total", "history queries answered"),
        .history_failures = metrics.counter(
            "postgres_store_history_failures_total",
            "history queries failed: an SQL error, the server out of reach, history_timeout"),
        .queued =
            metrics.gauge("postgres_store_queued_messages", "messages waiting for the writer"),
    };
}

StoreContext::StoreContext(Settings settings_in, sdk::PluginContext& ctx, KeepAlive keep_alive_in)
    : settings(std::move(settings_in)),
      target{settings.dsn, settings.overrides},
      where(describe(target)),
      executor(ctx.executor()),
      log(ctx.log()),
      health(ctx.health()),
      metrics(StoreMetrics::register_in(ctx.metrics())),
      keep_alive(std::move(keep_alive_in)) {}

std::shared_ptr<Connection> StoreContext::make_connection() const {
    return std::make_shared<Connection>(executor, log);
}

std::vector<Statement> StoreContext::session_setup() const {
    std::vector<Statement> setup;
    setup.push_back(Statement::query("SELECT set_config('statement_timeout', $1, false)",
                                     {std::to_string(settings.statement_timeout.count())},
                                     {codec::kText}));
    return setup;
}

}  // namespace relay::plugins::postgres
