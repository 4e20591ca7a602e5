// Stored messages per second by batch size, against a throwaway PostgreSQL cluster
// that this program starts itself (tests/support/postgres_server.hpp).
//
// Two families:
//  * BM_Store/<batch>[/<in flight>]: the postgres store plugin itself (PostgresStore on
//    a TestContext): appends of <batch> messages, each waited for until committed,
//    with 1 or several appends in flight.
//  * BM_Method/<method>/<batch>: the ways of writing one batch in one transaction,
//    over plain blocking libpq, to choose the store's: 0 = one INSERT … SELECT FROM
//    unnest(arrays) (the store's statement) with the server's default plan caching,
//    1 = one multi-row INSERT … VALUES, 2 = one prepared single-row INSERT per message,
//    pipelined, 3 = COPY (binary) into a temporary table, then INSERT … SELECT … ON
//    CONFLICT DO NOTHING, 4 = as 0 with plan_cache_mode = force_generic_plan (what the
//    store's writer session sets).
//
// Every row is new (no conflicts); the table is emptied before each benchmark.
//
//     build/relay_postgres_store_bench --benchmark_min_time=2
//     RELAY_BENCH_FSYNC=off build/relay_postgres_store_bench   # without the disk
#include "plugins/postgres/migrations.hpp"
#include "plugins/postgres/pg_codec.hpp"
#include "plugins/postgres/postgres_store.hpp"
#include "plugins/postgres/settings.hpp"
#include "support/postgres_server.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using relay::plugins::postgres::codec::ArrayBuilder;
namespace codec = relay::plugins::postgres::codec;
namespace pg = relay::plugins::postgres;
namespace sdk = relay::sdk;

relay::testing::PostgresServer* g_server = nullptr;
std::uint64_t g_next_id = 0;

/// A chat message of a typical size: a 26-character id, ~100 bytes of JSON.
std::vector<sdk::Message> make_batch(std::size_t n) {
    std::vector<sdk::Message> batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "01J%023llu", static_cast<unsigned long long>(++g_next_id));
        sdk::Message m;
        m.id = id;
        m.room = "room-" + std::to_string(g_next_id % 50);
        m.sender = "Zx3kQ9vB2mN7pL4wR8tY";
        m.user = "alice";
        m.ts_ms = 1700000000000 + static_cast<std::int64_t>(g_next_id);
        m.payload_json = "{\"text\":\"hello everyone, this is message number " +
                         std::to_string(g_next_id) + " of the benchmark\",\"kind\":\"chat\"}";
        m.position = std::to_string(g_next_id);
        batch.push_back(std::move(m));
    }
    return batch;
}

struct PqFinish {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct PqClear {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, PqFinish>;
using Result = std::unique_ptr<PGresult, PqClear>;

Conn connect() {
    Conn conn(PQconnectdb(g_server->dsn().c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error(PQerrorMessage(conn.get()));
    }
    return conn;
}

void check(PGconn* conn, PGresult* r, const char* what) {
    const auto s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_SYNC) {
        throw std::runtime_error(std::string(what) + ": " + PQerrorMessage(conn));
    }
}

void exec(PGconn* conn, const std::string& sql) {
    Result r(PQexec(conn, sql.c_str()));
    check(conn, r.get(), sql.c_str());
}

/// A fresh schema: the plugin's own migrations, recorded as the store records them.
void reset_table() {
    auto conn = connect();
    exec(conn.get(), "SET client_min_messages = warning");
    exec(conn.get(), "DROP TABLE IF EXISTS relay_messages, relay_schema_migrations");
    exec(conn.get(),
         "CREATE TABLE relay_schema_migrations (version integer PRIMARY KEY, description text "
         "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const auto& migration : pg::kMigrations) {
        for (auto statement : migration.statements) exec(conn.get(), std::string(statement));
        exec(conn.get(), "INSERT INTO relay_schema_migrations (version, description) VALUES (" +
                             std::to_string(migration.version) + ", 'bench')");
    }
    exec(conn.get(), "CHECKPOINT");
}

// ---- the store itself --------------------------------------------------------------

void BM_Store(benchmark::State& state) {
    const auto batch_size = static_cast<std::size_t>(state.range(0));
    const auto in_flight = static_cast<std::size_t>(state.range(1));
    reset_table();
    sdk::testing::TestContext ctx(pg::schema(), "store");
    ctx.settings().set_string("dsn", g_server->dsn());
    ctx.settings().set_integer("batch_max", static_cast<std::int64_t>(batch_size));
    auto store = std::make_unique<pg::PostgresStore>(pg::parse_settings(ctx.config()), ctx);
    {
        sdk::testing::Probe<std::error_code> started(ctx);
        store->start(started.callback());
        if (!started.wait() || started.get<0>()) {
            state.SkipWithError("the store did not start");
            return;
        }
    }
    std::vector<std::vector<sdk::Message>> batches;
    for (std::size_t i = 0; i < in_flight; ++i) batches.push_back(make_batch(batch_size));
    std::size_t stored = 0;
    for (auto _ : state) {
        sdk::testing::Collector<std::error_code> done;
        for (auto& batch : batches) {
            store->append(batch, [&done](std::error_code ec) { done.add(ec); });
        }
        if (!done.wait_for_size(batches.size(), std::chrono::seconds(60))) {
            state.SkipWithError("an append did not complete");
            break;
        }
        for (const auto& ec : done.snapshot()) {
            if (ec) state.SkipWithError(ec.message().c_str());
        }
        stored += batch_size * batches.size();
        state.PauseTiming();
        batches.clear();
        for (std::size_t i = 0; i < in_flight; ++i) batches.push_back(make_batch(batch_size));
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(stored));
    sdk::testing::Probe<std::error_code> stopped(ctx);
    store->stop(stopped.callback());
    stopped.wait();
    store.reset();
}

// ---- ways of writing one batch ---------------------------------------------------------

constexpr const char* kInsertRow =
    "INSERT INTO relay_messages (id, room, ts_ms, sender, user_name, payload, attachments, "
    "position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING";

std::string be64(std::int64_t v) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) {
        out[static_cast<std::size_t>(i)] =
            static_cast<char>(static_cast<std::uint64_t>(v) >> (56 - 8 * i));
    }
    return out;
}

void bind_row(const sdk::Message& m, std::vector<std::string>& params) {
    params.push_back(m.id);
    params.push_back(m.room);
    params.push_back(be64(m.ts_ms));
    params.push_back(m.sender);
    params.push_back(m.user);
    params.push_back(m.payload_json);
    params.push_back(std::string());  // placeholder: NULL attachments (length -1)
    params.push_back(m.position);
}

void exec_params(PGconn* conn, const char* name, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const bool null_attachment = i % 8 == 6;
        values.push_back(null_attachment ? nullptr : params[i].data());
        lengths.push_back(static_cast<int>(params[i].size()));
        formats.push_back(1);
    }
    Result r(PQexecPrepared(conn, name, static_cast<int>(params.size()), values.data(),
                            lengths.data(), formats.data(), 1));
    check(conn, r.get(), name);
}

void write_unnest(PGconn* conn, const std::vector<sdk::Message>& batch) {
    ArrayBuilder ids(codec::kText), rooms(codec::kText), ts(codec::kInt8), senders(codec::kText),
        users(codec::kText), payloads(codec::kText), attachments(codec::kBytea),
        firsts(codec::kInt4), counts(codec::kInt4), positions(codec::kText);
    for (const auto& m : batch) {
        ids.add(m.id);
        rooms.add(m.room);
        ts.add_int8(m.ts_ms);
        senders.add(m.sender);
        users.add(m.user);
        payloads.add(m.payload_json);
        firsts.add_int4(1);
        counts.add_int4(0);
        positions.add(m.position);
    }
    const std::string params[] = {std::move(ids).finish(),         std::move(rooms).finish(),
                                  std::move(ts).finish(),          std::move(senders).finish(),
                                  std::move(users).finish(),       std::move(payloads).finish(),
                                  std::move(attachments).finish(), std::move(firsts).finish(),
                                  std::move(counts).finish(),      std::move(positions).finish()};
    const char* values[10];
    int lengths[10], formats[10];
    for (int i = 0; i < 10; ++i) {
        values[i] = params[i].data();
        lengths[i] = static_cast<int>(params[i].size());
        formats[i] = 1;
    }
    Result r(PQexecPrepared(conn, "unnest", 10, values, lengths, formats, 1));
    check(conn, r.get(), "unnest");
}

void write_values(PGconn* conn, const std::vector<sdk::Message>& batch) {
    std::vector<std::string> params;
    params.reserve(batch.size() * 8);
    for (const auto& m : batch) bind_row(m, params);
    exec_params(conn, ("values" + std::to_string(batch.size())).c_str(), params);
}

void write_pipelined(PGconn* conn, const std::vector<sdk::Message>& batch) {
    std::vector<std::string> params;
    for (const auto& m : batch) {
        params.clear();
        bind_row(m, params);
        const char* values[8];
        int lengths[8], formats[8];
        for (int i = 0; i < 8; ++i) {
            values[i] = i == 6 ? nullptr : params[static_cast<std::size_t>(i)].data();
            lengths[i] = static_cast<int>(params[static_cast<std::size_t>(i)].size());
            formats[i] = 1;
        }
        if (PQsendQueryPrepared(conn, "row", 8, values, lengths, formats, 1) != 1) {
            throw std::runtime_error(PQerrorMessage(conn));
        }
    }
    PQpipelineSync(conn);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        Result r(PQgetResult(conn));
        check(conn, r.get(), "pipelined row");
        Result end(PQgetResult(conn));  // NULL: the end of this statement's results
    }
    Result sync(PQgetResult(conn));
    check(conn, sync.get(), "sync");
}

void put16(std::string& out, std::int16_t v) {
    out.push_back(static_cast<char>(static_cast<std::uint16_t>(v) >> 8));
    out.push_back(static_cast<char>(v));
}
void put32(std::string& out, std::int32_t v) {
    for (int i = 3; i >= 0; --i)
        out.push_back(static_cast<char>(static_cast<std::uint32_t>(v) >> (8 * i)));
}
void put_field(std::string& out, std::string_view bytes) {
    put32(out, static_cast<std::int32_t>(bytes.size()));
    out.append(bytes);
}

void write_copy(PGconn* conn, const std::vector<sdk::Message>& batch) {
    exec(conn, "BEGIN");
    Result begin(PQexec(conn, "COPY relay_staging FROM STDIN (FORMAT binary)"));
    if (PQresultStatus(begin.get()) != PGRES_COPY_IN)
        throw std::runtime_error(PQerrorMessage(conn));
    std::string data("PGCOPY\n\377\r\n\0", 11);
    put32(data, 0);
    put32(data, 0);
    for (const auto& m : batch) {
        put16(data, 8);
        put_field(data, m.id);
        put_field(data, m.room);
        put_field(data, be64(m.ts_ms));
        put_field(data, m.sender);
        put_field(data, m.user);
        put_field(data, m.payload_json);
        put32(data, -1);  // NULL attachments
        put_field(data, m.position);
    }
    put16(data, -1);
    if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn, nullptr) != 1) {
        throw std::runtime_error(PQerrorMessage(conn));
    }
    Result copied(PQgetResult(conn));
    check(conn, copied.get(), "copy");
    exec(conn,
         "INSERT INTO relay_messages SELECT * FROM relay_staging ON CONFLICT (id) DO NOTHING");
    exec(conn, "COMMIT");  // ON COMMIT DELETE ROWS empties the staging table
}

void BM_Method(benchmark::State& state) {
    const int method = static_cast<int>(state.range(0));
    const auto batch_size = static_cast<std::size_t>(state.range(1));
    reset_table();
    auto conn = connect();
    static constexpr const char* kNames[] = {"unnest, custom plans", "multi-row VALUES",
                                             "pipelined rows", "COPY + INSERT SELECT",
                                             "unnest, generic plan (store)"};
    state.SetLabel(kNames[method]);
    switch (method) {
        case 4: exec(conn.get(), "SET plan_cache_mode = force_generic_plan"); [[fallthrough]];
        case 0: {
            Result r(
                PQprepare(conn.get(), "unnest", std::string(pg::sql::kInsert).c_str(), 0, nullptr));
            check(conn.get(), r.get(), "prepare unnest");
            break;
        }
        case 1: {
            std::string sql =
                "INSERT INTO relay_messages (id, room, ts_ms, sender, user_name, payload, "
                "attachments, position) VALUES ";
            for (std::size_t i = 0; i < batch_size; ++i) {
                sql += i ? ",(" : "(";
                for (int c = 1; c <= 8; ++c) {
                    sql += "$" + std::to_string(i * 8 + static_cast<std::size_t>(c));
                    if (c == 3) sql += "::int8";
                    if (c == 7) sql += "::bytea[]";
                    sql += c < 8 ? "," : ")";
                }
            }
            sql += " ON CONFLICT (id) DO NOTHING";
            Result r(PQprepare(conn.get(), ("values" + std::to_string(batch_size)).c_str(),
                               sql.c_str(), 0, nullptr));
            check(conn.get(), r.get(), "prepare values");
            break;
        }
        case 2: {
            Result r(PQprepare(conn.get(), "row", kInsertRow, 0, nullptr));
            check(conn.get(), r.get(), "prepare row");
            PQenterPipelineMode(conn.get());
            break;
        }
        case 3:
            exec(conn.get(),
                 "CREATE TEMP TABLE relay_staging (LIKE relay_messages) ON COMMIT DELETE ROWS");
            break;
    }
    std::size_t stored = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const auto batch = make_batch(batch_size);
        state.ResumeTiming();
        switch (method) {
            case 0:
            case 4: write_unnest(conn.get(), batch); break;
            case 1: write_values(conn.get(), batch); break;
            case 2: write_pipelined(conn.get(), batch); break;
            case 3: write_copy(conn.get(), batch); break;
        }
        stored += batch.size();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(stored));
}

BENCHMARK(BM_Store)
    ->ArgNames({"batch", "in_flight"})
    ->Args({1, 1})
    ->Args({10, 1})
    ->Args({100, 1})
    ->Args({1000, 1})
    ->Args({5000, 1})
    ->Args({100, 8})
    ->Args({1000, 4})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_Method)
    ->ArgNames({"method", "batch"})
    ->ArgsProduct({{0, 1, 2, 3, 4}, {10, 100, 1000, 5000}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    try {
        // The server runs with its defaults (fsync on), as a real one would;
        // RELAY_BENCH_FSYNC=off takes the disk out, leaving the statements' own cost.
        relay::testing::PostgresServer::Options options;
        const char* fsync = std::getenv("RELAY_BENCH_FSYNC");
        options.settings = {"max_connections=50",
                            std::string("fsync=") + (fsync && *fsync ? fsync : "on")};
        relay::testing::PostgresServer server(options);
        g_server = &server;
        std::fprintf(stderr, "postgres server on %s:%d (pid %d)\n", server.host().c_str(),
                     server.port(), static_cast<int>(server.pid()));
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        g_server = nullptr;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "postgres_store_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
