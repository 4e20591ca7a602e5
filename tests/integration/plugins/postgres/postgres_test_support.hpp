#pragma once
/// Shared pieces of the postgres store's tests: one server per test binary (initdb
/// takes seconds), a fresh database per test, and a store driven synchronously.
#include "plugins/postgres/postgres_store.hpp"
#include "plugins/postgres/settings.hpp"
#include "support/postgres_server.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::postgres::testing {

using relay::testing::PostgresServer;
using sdk::testing::Probe;
using sdk::testing::TestConfig;
using sdk::testing::TestContext;

/// The server the tests share, started on first use and stopped at exit.
inline PostgresServer& shared_server() {
    static PostgresServer server;
    return server;
}

/// A new, empty database on `server`, named after the running test.
inline std::string fresh_database(PostgresServer& server) {
    std::string name = "t_" + sdk::testing::unique_token();
    server.create_database(name);
    return name;
}

/// Fast retries for tests: a reconnect within milliseconds of the server's return.
inline void quick_retries(TestConfig& config) {
    config.set_duration("retry_backoff", std::chrono::milliseconds(10));
    config.set_duration("retry_backoff_max", std::chrono::milliseconds(100));
    config.set_duration("connect_timeout", std::chrono::milliseconds(5000));
}

/// A PostgresStore on a TestContext, with blocking helpers. One per test.
class StoreHarness {
public:
    explicit StoreHarness(std::string dsn) : ctx_(schema(), "store") {
        ctx_.settings().set_string("dsn", std::move(dsn));
        quick_retries(ctx_.settings());
    }
    ~StoreHarness() { stop(); }

    TestContext& ctx() { return ctx_; }
    TestConfig& config() { return ctx_.settings(); }
    PostgresStore& store() { return *store_; }

    std::error_code start() {
        store_ = std::make_unique<PostgresStore>(parse_settings(ctx_.config()), ctx_);
        Probe<std::error_code> started(ctx_);
        store_->start(started.callback());
        EXPECT_TRUE(started.wait());
        EXPECT_TRUE(started.on_executor());
        return started.done() ? started.get<0>() : make_error_code(sdk::Errc::timed_out);
    }
    void stop() {
        if (!store_) return;
        Probe<std::error_code> stopped(ctx_);
        store_->stop(stopped.callback());
        EXPECT_TRUE(stopped.wait());
        if (stopped.done()) {
            EXPECT_FALSE(stopped.get<0>()) << stopped.get<0>().message();
        }
        store_.reset();
    }
    void destroy_without_stop() { store_.reset(); }
    std::error_code append(std::vector<sdk::Message> batch) {
        Probe<std::error_code> done(ctx_);
        store_->append(std::move(batch), done.callback());
        EXPECT_TRUE(done.wait());
        EXPECT_TRUE(done.on_executor());
        return done.done() ? done.get<0>() : make_error_code(sdk::Errc::timed_out);
    }
    std::pair<std::error_code, std::vector<sdk::Message>> history(const std::string& room,
                                                                  sdk::HistoryQuery query = {}) {
        Probe<std::error_code, std::vector<sdk::Message>> done(ctx_);
        store_->history(room, std::move(query), done.callback());
        EXPECT_TRUE(done.wait());
        EXPECT_TRUE(done.on_executor());
        if (!done.done()) return {make_error_code(sdk::Errc::timed_out), {}};
        return {done.get<0>(), done.get<1>()};
    }
    std::uint64_t counter(std::string_view name) {
        return ctx_.test_metrics().counter_value(name).value_or(0);
    }

private:
    TestContext ctx_;
    std::unique_ptr<PostgresStore> store_;
};

/// A plain blocking libpq session for a test's own SQL (holding a lock, say).
class RawSession {
public:
    explicit RawSession(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str()), &PQfinish) {
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            throw std::runtime_error("cannot connect: " + std::string(PQerrorMessage(conn_.get())));
        }
    }
    /// Runs `sql`; returns the first value of the first row ("" when none).
    std::string exec(const std::string& sql) {
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
        const auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw std::runtime_error("`" + sql + "` failed: " + PQerrorMessage(conn_.get()));
        }
        return PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
    }

private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

inline sdk::Message make_message(std::string id, std::string room = "r",
                                 std::string payload = "{}") {
    sdk::Message msg;
    msg.id = std::move(id);
    msg.room = std::move(room);
    msg.sender = "sid";
    msg.user = "u";
    msg.ts_ms = 1700000000000;
    msg.payload_json = std::move(payload);
    msg.position = "0";
    return msg;
}

/// Ids "<prefix>000000" … in order, `n` of them, for room `room`.
inline std::vector<sdk::Message> make_messages(const std::string& prefix, int n,
                                               const std::string& room = "r", int first = 0) {
    std::vector<sdk::Message> out;
    for (int i = first; i < first + n; ++i) {
        char number[16];
        std::snprintf(number, sizeof number, "%06d", i);
        auto msg = make_message(prefix + number, room, "{\"n\":" + std::to_string(i) + "}");
        msg.ts_ms += i;
        msg.position = std::to_string(i);
        out.push_back(std::move(msg));
    }
    return out;
}

}  // namespace relay::plugins::postgres::testing
