#include "pg_connection.hpp"

#include <cstdlib>
#include <string_view>
#include <type_traits>

namespace relay::plugins::postgres {

static_assert(std::is_same_v<Oid, unsigned>, "parameter type OIDs are passed as unsigned");

namespace {

/// libpq's message on one line: its line breaks (and the tabs after them) become
/// single spaces, so that one error is one log line.
std::string trimmed(const char* text) {
    std::string s;
    for (const char* p = text ? text : ""; *p; ++p) {
        if (*p == '\n' || *p == '\r' || (*p == '\t' && !s.empty() && s.back() == ' ')) {
            if (!s.empty() && s.back() != ' ') s.push_back(' ');
        } else {
            s.push_back(*p);
        }
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

/// Routes the server's NOTICEs ("relation already exists, skipping") to the log
/// instead of libpq's default, stderr.
void log_notice(void* arg, const char* message) {
    auto* log = static_cast<sdk::Logger*>(arg);
    if (log->enabled(sdk::LogLevel::debug)) log->debug("postgres: " + trimmed(message));
}

struct ConnInfoFree {
    void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};

/// The values the DSN sets for `keys` (empty when it does not set them or does not
/// parse; libpq reports a bad DSN when it connects).
std::vector<std::string> dsn_values(const std::string& dsn,
                                    std::initializer_list<std::string_view> keys) {
    std::vector<std::string> values(keys.size());
    if (dsn.empty()) return values;
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, ConnInfoFree> options(PQconninfoParse(dsn.c_str(), &error));
    if (error) PQfreemem(error);
    if (!options) return values;
    for (auto* o = options.get(); o->keyword; ++o) {
        std::size_t i = 0;
        for (auto key : keys) {
            if (key == o->keyword && o->val) values[i] = o->val;
            ++i;
        }
    }
    return values;
}

std::string effective(const Target& target, std::string_view key, const std::string& from_dsn,
                      const char* env) {
    std::string value = from_dsn;
    for (const auto& [k, v] : target.overrides) {
        if (k == key) value = v;
    }
    if (value.empty() && env) {
        // NOLINTNEXTLINE(concurrency-mt-unsafe): libpq reads the same variables
        if (const char* e = std::getenv(env)) value = e;
    }
    return value;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        items.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

bool is_socket_dir(const std::string& host) {
    return host.empty() || host.front() == '/' || host.front() == '@';
}

}  // namespace

std::string describe(const Target& target) {
    const auto dsn = dsn_values(target.dsn, {"host", "hostaddr", "port", "dbname", "user"});
    std::string out;
    auto field = [&](std::string_view key, const std::string& value) {
        if (value.empty()) return;
        if (!out.empty()) out += ' ';
        out.append(key).append("=").append(value);
    };
    field("host", effective(target, "host", dsn[0], "PGHOST"));
    field("hostaddr", effective(target, "hostaddr", dsn[1], "PGHOSTADDR"));
    field("port", effective(target, "port", dsn[2], "PGPORT"));
    field("dbname", effective(target, "dbname", dsn[3], "PGDATABASE"));
    field("user", effective(target, "user", dsn[4], "PGUSER"));
    return out.empty() ? "(libpq defaults)" : out;
}

bool is_connection_sqlstate(std::string_view sqlstate) noexcept {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

Connection::Connection(const sdk::Executor& executor, sdk::Logger& log)
    : executor_(executor),
      log_(log),
      socket_(executor),
      connect_timer_(executor),
      resolver_(executor) {}

Connection::~Connection() {
    close();
}

int Connection::backend_pid() const noexcept {
    return conn_ && state_ == State::ready ? PQbackendPID(conn_.get()) : 0;
}

std::string Connection::conn_error() const {
    return conn_ ? trimmed(PQerrorMessage(conn_.get())) : std::string("no connection");
}

void Connection::release_socket() noexcept {
    if (!socket_.is_open()) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    try {
        socket_.release();             // the fd belongs to libpq, which closes it in PQfinish
    } catch (const std::exception&) {  // only for a broken reactor: libpq still owns the fd
    }
    reading_ = false;
    writing_ = false;
}

void Connection::teardown() noexcept {
    state_ = State::dead;
    connect_done_ = nullptr;
    lost_handler_ = nullptr;
    exchanges_.clear();
    try {
        connect_timer_.cancel();
        resolver_.cancel();
    } catch (const std::exception&) {  // only for a broken reactor: nothing left to do
    }
    release_socket();
    conn_.reset();
}

void Connection::close() noexcept {
    closed_ = true;
    teardown();
}

// ---- connecting -------------------------------------------------------------------

void Connection::connect(const Target& target, std::chrono::milliseconds timeout,
                         std::vector<Statement> setup, ConnectDone done) {
    target_ = target;
    setup_ = std::move(setup);
    connect_done_ = std::move(done);
    state_ = State::resolving;
    connect_timer_.expires_after(timeout);
    connect_timer_.async_wait([self = shared_from_this(), timeout](boost::system::error_code ec) {
        if (ec) return;
        const auto state = self->state_;
        if (state == State::resolving || state == State::connecting || state == State::setting_up) {
            self->fail_connect("timeout expired after " + std::to_string(timeout.count()) +
                               " ms (connect_timeout)");
        }
    });

    // libpq resolves host names with a blocking getaddrinfo(); resolve them here on
    // Asio's resolver instead and hand libpq the addresses (`hostaddr`), keeping the
    // names for TLS verification and messages. Socket directories and explicit
    // hostaddr settings go to libpq untouched.
    const auto dsn = dsn_values(target_.dsn, {"host", "hostaddr"});
    const std::string hosts = effective(target_, "host", dsn[0], "PGHOST");
    const std::string hostaddr = effective(target_, "hostaddr", dsn[1], "PGHOSTADDR");
    auto list = std::make_shared<std::vector<std::string>>(split_list(hosts));
    bool resolvable = hostaddr.empty() && !hosts.empty();
    for (const auto& h : *list) resolvable = resolvable && !is_socket_dir(h);
    if (!resolvable) {
        boost::asio::post(executor_, [self = shared_from_this()] {
            if (self->state_ == State::resolving) self->start_connect({}, {});
        });
        return;
    }
    resolve_next(std::move(list), 0, std::make_shared<Resolved>());
}

void Connection::resolve_next(std::shared_ptr<std::vector<std::string>> hosts, std::size_t index,
                              std::shared_ptr<Resolved> resolved) {
    if (index == hosts->size()) {
        boost::asio::post(executor_, [self = shared_from_this(), resolved] {
            if (self->state_ == State::resolving) {
                self->start_connect(resolved->hosts, resolved->addresses);
            }
        });
        return;
    }
    const std::string& host = (*hosts)[index];
    boost::system::error_code ec;
    const auto literal = boost::asio::ip::make_address(host, ec);
    if (!ec) {
        resolved->add(host, literal.to_string());
        resolve_next(std::move(hosts), index + 1, std::move(resolved));
        return;
    }
    resolver_.async_resolve(
        host, "",
        [self = shared_from_this(), hosts, index, resolved](
            boost::system::error_code error,
            const boost::asio::ip::tcp::resolver::results_type& found) {
            if (error == boost::asio::error::operation_aborted ||
                self->state_ != State::resolving) {
                return;
            }
            const std::string& name = (*hosts)[index];
            if (error || found.empty()) {
                self->fail_connect(
                    "could not translate host name \"" + name +
                    "\" to an address: " + (error ? error.message() : std::string("no address")));
                return;
            }
            if (hosts->size() == 1) {
                // One name: every address, in the resolver's order, as libpq itself
                // would try them ("localhost" may be ::1 first, then 127.0.0.1).
                for (const auto& entry : found) {
                    resolved->add(name, entry.endpoint().address().to_string());
                }
            } else {
                // A list: one address per name, so that a port list still lines up.
                resolved->add(name, found.begin()->endpoint().address().to_string());
            }
            self->resolve_next(hosts, index + 1, resolved);
        });
}

void Connection::start_connect(const std::string& hosts, const std::string& hostaddrs) {
    std::vector<const char*> keys;
    std::vector<const char*> values;
    if (!target_.dsn.empty()) {
        keys.push_back("dbname");  // expanded: a connection string or URI
        values.push_back(target_.dsn.c_str());
    }
    for (const auto& [k, v] : target_.overrides) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    if (!hostaddrs.empty()) {
        keys.push_back("host");
        values.push_back(hosts.c_str());
        keys.push_back("hostaddr");
        values.push_back(hostaddrs.c_str());
    }
    // Text goes both ways as UTF-8 bytes, whatever the database's default.
    keys.push_back("client_encoding");
    values.push_back("UTF8");
    keys.push_back("fallback_application_name");
    values.push_back("relay");
    keys.push_back(nullptr);
    values.push_back(nullptr);

    state_ = State::connecting;
    conn_.reset(PQconnectStartParams(keys.data(), values.data(), 1));
    if (!conn_) {
        fail_connect("out of memory");
        return;
    }
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
        fail_connect(conn_error());
        return;
    }
    PQsetNoticeProcessor(conn_.get(), &log_notice, &log_);
    // As the libpq manual says: behave as if PQconnectPoll had asked for writing.
    wait_connect(PGRES_POLLING_WRITING);
}

void Connection::wait_connect(PostgresPollingStatusType wanted) {
    // The socket may change between polls (another host or address, a retry without
    // TLS), so wrap the current one each time.
    release_socket();
    const int fd = PQsocket(conn_.get());
    if (fd < 0) {
        fail_connect(conn_error());
        return;
    }
    boost::system::error_code ec;
    socket_.assign(fd, ec);
    if (ec) {
        fail_connect("cannot watch the connection's socket: " + ec.message());
        return;
    }
    const auto type = wanted == PGRES_POLLING_READING
                          ? boost::asio::posix::stream_descriptor::wait_read
                          : boost::asio::posix::stream_descriptor::wait_write;
    socket_.async_wait(type, [self = shared_from_this()](boost::system::error_code error) {
        if (error || self->state_ != State::connecting) return;
        self->poll_connect();
    });
}

void Connection::poll_connect() {
    switch (PQconnectPoll(conn_.get())) {
        case PGRES_POLLING_OK: connected(); return;
        case PGRES_POLLING_FAILED: fail_connect(conn_error()); return;
        case PGRES_POLLING_READING: wait_connect(PGRES_POLLING_READING); return;
        default: wait_connect(PGRES_POLLING_WRITING); return;
    }
}

void Connection::connected() {
    release_socket();
    const int fd = PQsocket(conn_.get());
    boost::system::error_code ec;
    if (fd >= 0) socket_.assign(fd, ec);
    if (fd < 0 || ec) {
        fail_connect("cannot watch the connection's socket");
        return;
    }
    if (PQsetnonblocking(conn_.get(), 1) != 0 || PQenterPipelineMode(conn_.get()) != 1) {
        fail_connect("cannot enter pipeline mode: " + conn_error());
        return;
    }
    state_ = State::setting_up;
    arm_read();
    if (setup_.empty()) {
        finish_connect({});
        return;
    }
    send(setup_, [self = shared_from_this()](const Outcome& outcome) {
        if (self->state_ != State::setting_up) return;
        if (outcome.status == Outcome::Status::ok) {
            self->finish_connect({});
        } else {
            self->fail_connect("setting up the session failed: " + outcome.message);
        }
    });
    setup_.clear();
}

void Connection::fail_connect(std::string error) {
    if (state_ == State::dead || state_ == State::ready) return;
    auto done = std::move(connect_done_);
    teardown();
    if (done) {
        boost::asio::post(executor_, [self = shared_from_this(), done = std::move(done),
                                      error = std::move(error)] {
            if (!self->closed_) done(error);
        });
    }
}

void Connection::finish_connect(std::string error) {
    connect_timer_.cancel();
    state_ = State::ready;
    auto done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (!done) return;
    // Posted, so that a close() before it runs also silences it.
    boost::asio::post(
        executor_, [self = shared_from_this(), done = std::move(done), error = std::move(error)] {
            if (!self->closed_) done(error);
        });
}

// ---- exchanges --------------------------------------------------------------------

bool Connection::queue_statement(const Statement& s) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    values.reserve(s.params.size());
    for (const auto& p : s.params) {
        values.push_back(p.data());
        lengths.push_back(static_cast<int>(p.size()));
        formats.push_back(1);
    }
    const int n = static_cast<int>(s.params.size());
    switch (s.kind) {
        case Statement::Kind::query:
            return PQsendQueryParams(conn_.get(), s.sql.c_str(), n,
                                     s.types.empty() ? nullptr : s.types.data(), values.data(),
                                     lengths.data(), formats.data(), 1) == 1;
        case Statement::Kind::prepare:
            return PQsendPrepare(conn_.get(), s.name.c_str(), s.sql.c_str(),
                                 static_cast<int>(s.types.size()),
                                 s.types.empty() ? nullptr : s.types.data()) == 1;
        case Statement::Kind::prepared:
            return PQsendQueryPrepared(conn_.get(), s.name.c_str(), n, values.data(),
                                       lengths.data(), formats.data(), 1) == 1;
    }
    return false;
}

void Connection::send(const std::vector<Statement>& statements, ExchangeDone done) {
    if (state_ != State::ready && state_ != State::setting_up) {
        boost::asio::post(executor_, [self = shared_from_this(), done = std::move(done)] {
            if (self->closed_) return;
            Outcome outcome;
            outcome.status = Outcome::Status::lost;
            outcome.message = "not connected";
            done(std::move(outcome));
        });
        return;
    }
    Exchange exchange;
    exchange.statements = statements.size();
    exchange.done = std::move(done);
    exchange.outcome.results.reserve(statements.size());
    exchanges_.push_back(std::move(exchange));
    for (const auto& s : statements) {
        if (!queue_statement(s)) {
            lose("cannot send a statement: " + conn_error());
            return;
        }
    }
    if (PQpipelineSync(conn_.get()) != 1) {
        lose("cannot send a sync: " + conn_error());
        return;
    }
    flush();
}

void Connection::flush() {
    const int pending = PQflush(conn_.get());
    if (pending < 0) {
        lose(conn_error());
        return;
    }
    if (pending == 0 || writing_) return;
    writing_ = true;
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           self->writing_ = false;
                           if (ec || !self->conn_) return;
                           if (self->state_ != State::ready && self->state_ != State::setting_up) {
                               return;
                           }
                           self->flush();
                       });
}

void Connection::arm_read() {
    if (reading_) return;
    reading_ = true;
    // Always armed, even when idle: a broken connection is noticed at once (and
    // replaced) instead of when the next batch needs it.
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           self->reading_ = false;
                           if (ec || !self->conn_) return;
                           if (self->state_ != State::ready && self->state_ != State::setting_up) {
                               return;
                           }
                           self->on_readable();
                       });
}

void Connection::on_readable() {
    if (PQconsumeInput(conn_.get()) != 1) {
        lose(conn_error());
        return;
    }
    drain();
    if (conn_ && (state_ == State::ready || state_ == State::setting_up)) {
        if (PQstatus(conn_.get()) == CONNECTION_BAD) {
            lose(conn_error());
            return;
        }
        arm_read();
    }
}

void Connection::drain() {
    auto self = shared_from_this();  // callbacks may drop the owner's reference
    while (conn_ && (state_ == State::ready || state_ == State::setting_up)) {
        if (PQisBusy(conn_.get())) return;
        PgResult result(PQgetResult(conn_.get()));
        if (!result) {
            // The end of one statement's results (none follows a sync point).
            if (exchanges_.empty() || !exchanges_.front().got_current) return;
            exchanges_.front().got_current = false;
            ++exchanges_.front().current;
            continue;
        }
        if (exchanges_.empty()) continue;  // nothing asked for it
        Exchange& exchange = exchanges_.front();
        switch (PQresultStatus(result.get())) {
            case PGRES_PIPELINE_SYNC: {
                Exchange finished = std::move(exchange);
                exchanges_.pop_front();
                finished.done(std::move(finished.outcome));
                break;
            }
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
                if (exchange.outcome.status == Outcome::Status::ok) {
                    exchange.outcome.results.push_back(std::move(result));
                }
                exchange.got_current = true;
                break;
            case PGRES_PIPELINE_ABORTED: exchange.got_current = true; break;
            case PGRES_FATAL_ERROR: {
                const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
                std::string sqlstate = state ? state : "";
                std::string message = trimmed(PQresultErrorMessage(result.get()));
                if (PQstatus(conn_.get()) == CONNECTION_BAD || sqlstate.empty() ||
                    is_connection_sqlstate(sqlstate)) {
                    // No SQLSTATE: libpq's own error (the connection broke).
                    lose(std::move(message));
                    return;
                }
                if (exchange.outcome.status == Outcome::Status::ok) {
                    exchange.outcome.status = Outcome::Status::failed;
                    exchange.outcome.sqlstate = std::move(sqlstate);
                    exchange.outcome.message = std::move(message);
                    exchange.outcome.statement = exchange.current;
                    exchange.outcome.results.clear();
                }
                exchange.got_current = true;
                break;
            }
            default:
                lose(std::string("unexpected result status ") +
                     PQresStatus(PQresultStatus(result.get())));
                return;
        }
    }
}

void Connection::lose(std::string error) {
    if (state_ == State::setting_up || state_ == State::connecting || state_ == State::resolving) {
        fail_connect(std::move(error));
        return;
    }
    if (state_ != State::ready) return;
    auto exchanges = std::move(exchanges_);
    auto lost = std::move(lost_handler_);
    teardown();
    // Deferred, so that an exchange's callback never runs inside send().
    boost::asio::post(executor_, [self = shared_from_this(), exchanges = std::move(exchanges),
                                  lost = std::move(lost), error = std::move(error)]() mutable {
        for (auto& exchange : exchanges) {
            if (self->closed_) return;
            Outcome outcome;
            outcome.status = Outcome::Status::lost;
            outcome.message = error;
            exchange.done(std::move(outcome));
        }
        if (lost && !self->closed_) lost(error);
    });
}

}  // namespace relay::plugins::postgres
