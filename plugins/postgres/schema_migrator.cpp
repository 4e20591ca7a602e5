#include "schema_migrator.hpp"

#include "migrations.hpp"
#include "pg_codec.hpp"
#include "postgres_errors.hpp"

#include <relay/sdk/error.hpp>

#include <cstdint>
#include <string_view>
#include <utility>

namespace relay::plugins::postgres {

namespace {

// pg_advisory_xact_lock key serialising migrations between nodes ("relay" in ASCII).
constexpr std::int64_t kMigrationLock = 0x72656c6179;

}  // namespace

void SchemaMigrator::run(const StoreContext& ctx, Connection& conn, std::vector<Statement> then,
                         Done done) {
    std::vector<Statement> check;
    check.push_back(Statement::query("BEGIN"));
    // Nodes starting together migrate one after the other.
    check.push_back(Statement::query("SELECT pg_advisory_xact_lock($1)",
                                     {codec::encode_int8(kMigrationLock)}, {codec::kInt8}));
    check.push_back(
        Statement::query("CREATE TABLE IF NOT EXISTS relay_schema_migrations ("
                         " version integer PRIMARY KEY,"
                         " description text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())"));
    check.push_back(
        Statement::query("SELECT coalesce(max(version), 0)::int8 FROM relay_schema_migrations"));
    // The connection lives as long as its handlers run: a reference is safe here.
    conn.send(check, [&ctx, &conn, then = std::move(then),
                      done = std::move(done)](const Outcome& outcome) mutable {
        if (outcome.status != Outcome::Status::ok) {
            done(failed(outcome, "cannot read the schema version"));
            return;
        }
        const PGresult* r = outcome.results.back().get();
        const auto version =
            PQntuples(r) == 1 ? codec::parse_int8(result_field(r, 0, 0)) : std::nullopt;
        if (!version) {
            done(Result{make_error_code(sdk::Errc::unavailable),
                        "cannot read the schema version: unexpected answer",
                        {}});
            return;
        }
        apply(ctx, conn, static_cast<int>(*version), std::move(then), std::move(done));
    });
}

void SchemaMigrator::apply(const StoreContext& ctx, Connection& conn, int current,
                           std::vector<Statement> then, Done done) {
    if (current > kSchemaVersion) {
        const auto ec = make_schema_too_new_error(current, kSchemaVersion);
        done(Result{ec, ec.message(), {}});  // closing the connection rolls back
        return;
    }
    std::vector<Statement> apply;
    std::string applied;
    for (const auto& migration : kMigrations) {
        if (migration.version <= current) continue;
        for (auto statement : migration.statements) {
            apply.push_back(Statement::query(std::string(statement)));
        }
        apply.push_back(Statement::query(
            "INSERT INTO relay_schema_migrations (version, description) VALUES ($1, $2)",
            {codec::encode_int4(migration.version), std::string(migration.description)},
            {codec::kInt4, codec::kText}));
        applied += (applied.empty() ? "" : ", ") + std::to_string(migration.version) + " (" +
                   std::string(migration.description) + ")";
    }
    apply.push_back(Statement::query("COMMIT"));
    for (auto& statement : then) apply.push_back(std::move(statement));
    conn.send(apply, [&ctx, current, applied, done = std::move(done)](const Outcome& outcome) {
        if (outcome.status != Outcome::Status::ok) {
            done(failed(outcome, "cannot migrate the schema from version " +
                                     std::to_string(current) + " to " +
                                     std::to_string(kSchemaVersion)));
            return;
        }
        if (!applied.empty()) {
            ctx.log.info("postgres store " + ctx.where + ": applied schema migration(s) " +
                         applied);
        }
        done(Result{{}, {}, applied});
    });
}

SchemaMigrator::Result SchemaMigrator::failed(const Outcome& outcome, const std::string& what) {
    if (outcome.status == Outcome::Status::failed) {
        return Result{make_postgres_error(outcome.sqlstate), what + ": " + outcome.message, {}};
    }
    return Result{make_error_code(sdk::Errc::unavailable), what + ": " + outcome.message, {}};
}

}  // namespace relay::plugins::postgres
