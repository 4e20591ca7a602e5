#pragma once
/// One libpq connection driven by Asio: non-blocking connect, pipeline mode, results
/// read as the socket becomes readable. Nothing here blocks its thread.
#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::plugins::postgres {

struct PqClear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PqClear>;

/// The bytes of one field of `result` (valid while the result lives).
inline std::string_view result_field(const PGresult* result, int row, int column) {
    return {PQgetvalue(result, row, column),
            static_cast<std::size_t>(PQgetlength(result, row, column))};
}

struct PqFinish {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PqFinish>;

/// Where to connect: a libpq connection string or URI, then keyword/value pairs that
/// override its fields (libpq processes keywords in order; the last one wins).
struct Target {
    std::string dsn;
    std::vector<std::pair<std::string, std::string>> overrides;
};

/// "host=… port=… dbname=… user=…" of `target`, for log lines (never the password).
std::string describe(const Target& target);

/// One statement of an exchange. Parameters are sent in binary format, and results
/// are asked for in binary format.
struct Statement {
    enum class Kind { query, prepared, prepare };
    Kind kind = Kind::query;
    std::string name;                 ///< prepared and prepare: the statement's name
    std::string sql;                  ///< query and prepare
    std::vector<unsigned> types;      ///< query and prepare: parameter type OIDs
    std::vector<std::string> params;  ///< query and prepared: binary parameter values

    static Statement query(std::string sql, std::vector<std::string> params = {},
                           std::vector<unsigned> types = {}) {
        Statement s;
        s.sql = std::move(sql);
        s.params = std::move(params);
        s.types = std::move(types);
        return s;
    }
    static Statement prepare(std::string name, std::string sql, std::vector<unsigned> types) {
        Statement s;
        s.kind = Kind::prepare;
        s.name = std::move(name);
        s.sql = std::move(sql);
        s.types = std::move(types);
        return s;
    }
    static Statement execute(std::string name, std::vector<std::string> params) {
        Statement s;
        s.kind = Kind::prepared;
        s.name = std::move(name);
        s.params = std::move(params);
        return s;
    }
};

/// How an exchange ended.
struct Outcome {
    enum class Status {
        ok,      ///< every statement succeeded; the implicit transaction committed
        failed,  ///< a statement failed (SQL error); the transaction rolled back
        lost,    ///< the connection broke first: whether it committed is unknown
    };
    Status status = Status::ok;
    std::vector<PgResult> results;  ///< ok: one per statement
    std::string sqlstate;           ///< failed: the SQLSTATE
    std::string message;            ///< failed and lost: the server's or libpq's message
    std::size_t statement = 0;      ///< failed: index of the statement that failed
};

/// An asynchronous connection in pipeline mode.
///
/// Each send() is one exchange: its statements, then a sync point. Statements between
/// two sync points run as one implicit transaction, so an exchange commits or rolls
/// back as a whole. Several exchanges may be in flight; they complete in order.
///
/// Lifecycle: connect() once; send() after it succeeded; close() (or destruction)
/// ends everything without calling any callback. When the connection breaks after
/// connect() succeeded, the exchanges in flight complete with Status::lost, in order,
/// and then the `lost` handler runs once; the object is then dead (make a new one).
///
/// Thread safety: none. Use it only on its executor; every callback runs there, never
/// inside the call that started the operation. Own it through a shared_ptr (its
/// handlers keep it alive).
class Connection : public std::enable_shared_from_this<Connection> {
public:
    using ConnectDone = std::function<void(std::string error)>;  ///< empty error: connected
    using ExchangeDone = std::function<void(Outcome)>;
    using LostHandler = std::function<void(std::string error)>;

    Connection(const sdk::Executor& executor, sdk::Logger& log);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;

    /// Resolves the host names (asynchronously), connects, enters pipeline mode and
    /// runs `setup` as one exchange; then `done` runs. `timeout` bounds all of it.
    void connect(const Target& target, std::chrono::milliseconds timeout,
                 std::vector<Statement> setup, ConnectDone done);
    void on_lost(LostHandler handler) { lost_handler_ = std::move(handler); }

    void send(const std::vector<Statement>& statements, ExchangeDone done);
    /// Closes now; no callback of this object runs afterwards.
    void close() noexcept;

    bool ready() const noexcept { return state_ == State::ready; }
    std::size_t in_flight() const noexcept { return exchanges_.size(); }
    /// The server's process id for this connection (0 when not connected).
    int backend_pid() const noexcept;

private:
    enum class State { idle, resolving, connecting, setting_up, ready, dead };
    struct Exchange {
        std::size_t statements = 0;
        std::size_t current = 0;
        bool got_current = false;
        Outcome outcome;
        ExchangeDone done;
    };

    struct Resolved {
        std::string hosts;      // comma-separated, one entry per address
        std::string addresses;  // the matching hostaddr list
        void add(const std::string& name, const std::string& address) {
            hosts += (hosts.empty() ? "" : ",") + name;
            addresses += (addresses.empty() ? "" : ",") + address;
        }
    };
    void resolve_next(std::shared_ptr<std::vector<std::string>> hosts, std::size_t index,
                      std::shared_ptr<Resolved> resolved);
    void start_connect(const std::string& hosts, const std::string& hostaddrs);
    void wait_connect(PostgresPollingStatusType wanted);
    void poll_connect();
    void connected();
    void fail_connect(std::string error);
    void finish_connect(std::string error);

    bool queue_statement(const Statement& statement);
    void flush();
    void arm_read();
    void on_readable();
    void drain();
    void lose(std::string error);
    void release_socket() noexcept;
    void teardown() noexcept;
    std::string conn_error() const;

    sdk::Executor executor_;
    sdk::Logger& log_;
    boost::asio::posix::stream_descriptor socket_;  // never owns the fd: libpq does
    boost::asio::steady_timer connect_timer_;
    boost::asio::ip::tcp::resolver resolver_;
    PgConn conn_;
    State state_ = State::idle;
    bool closed_ = false;  // by close(): no callback runs any more
    bool reading_ = false;
    bool writing_ = false;
    Target target_;
    std::vector<Statement> setup_;
    ConnectDone connect_done_;
    LostHandler lost_handler_;
    std::deque<Exchange> exchanges_;
};

/// True for SQLSTATEs that mean the connection (or the server) went away, so the
/// work is retried on a new connection: class 08 and 57P01..57P03.
bool is_connection_sqlstate(std::string_view sqlstate) noexcept;

}  // namespace relay::plugins::postgres
