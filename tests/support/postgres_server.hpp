#pragma once
/// PostgresServer: a throwaway PostgreSQL cluster for tests and benchmarks.
///
/// Debian's server binaries (initdb, postgres) make a cluster in a fresh temp dir
/// and run it on a free loopback port, stopped by its own pid; nothing touches the
/// system's postgres service. initdb refuses to run as root, so as root the server
/// runs as the `postgres` user (or `nobody`) through setpriv, which execs in place:
/// the pid we hold is the postmaster's. A missing binary or a failed step throws
/// with the command that failed and its output.
///
///     PostgresServer pg;                       // initdb, start, CREATE DATABASE relay
///     auto dsn = pg.dsn();                     // host=127.0.0.1 port=… user=relay dbname=relay
///     auto db = pg.create_database("t1");      // a fresh database per test
///     pg.kill9();  pg.restart();               // a crash, then crash recovery
///
/// Binaries: $RELAY_POSTGRES_BINDIR, else the newest /usr/lib/postgresql/<v>/bin,
/// else PATH. Thread safety: none; query() may be used from any one thread at a time.
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing {

class PostgresServer {
public:
    struct Options {
        std::string user = "relay";
        std::string database = "relay";
        /// Extra `-c name=value` server settings. fsync=off: a kill -9 loses nothing
        /// that was committed (the OS keeps the pages), only a machine crash would.
        std::vector<std::string> settings = {"fsync=off", "max_connections=200"};
    };

    PostgresServer() : PostgresServer(Options{}) {}
    explicit PostgresServer(Options options)
        : options_(std::move(options)), dir_("relay-pg"), bin_dir_(find_bin_dir()) {
        prepare_ownership();
        const auto data = data_dir();
        run_checked({bin("initdb"), "-D", data.string(), "-A", "trust", "-U", options_.user, "-E",
                     "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"},
                    std::chrono::seconds(120));
        for (int attempt = 0;; ++attempt) {
            port_ = free_port();
            try {
                start_server();
                break;
            } catch (const std::exception&) {
                // Someone took the port between our probe and the server's bind.
                if (attempt == 2 || server_log().find("could not bind") == std::string::npos) {
                    throw;
                }
            }
        }
        create_database(options_.database);
    }

    ~PostgresServer() {
        try {
            stop();
        } catch (...) {  // best effort: the process destructor kills it anyway
        }
    }
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    const std::string& host() const noexcept { return host_; }
    int port() const noexcept { return port_; }
    const std::string& user() const noexcept { return options_.user; }
    const std::string& database() const noexcept { return options_.database; }
    pid_t pid() const { return server_ ? server_->pid() : -1; }
    bool running() const { return server_ && server_->running(); }
    const std::filesystem::path& bin_dir() const noexcept { return bin_dir_; }

    /// A libpq keyword/value connection string for `database` (default: the fixture's).
    std::string dsn(const std::string& database = {}) const {
        return "host=" + host_ + " port=" + std::to_string(port_) + " user=" + options_.user +
               " dbname=" + (database.empty() ? options_.database : database);
    }
    /// The same as a URI.
    std::string url(const std::string& database = {}) const {
        return "postgresql://" + options_.user + "@" + host_ + ":" + std::to_string(port_) + "/" +
               (database.empty() ? options_.database : database);
    }

    /// Creates a database (a plain identifier) and returns its name.
    std::string create_database(const std::string& name) {
        query("CREATE DATABASE \"" + name + "\"", "postgres");
        return name;
    }
    void drop_database(const std::string& name) {
        query("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)", "postgres");
    }

    /// Runs `sql` (one or more statements, simple protocol) on `database` over a new
    /// connection and returns the last statement's rows as text ("" for NULL).
    /// Throws std::runtime_error with the server's message.
    std::vector<std::vector<std::string>> query(const std::string& sql,
                                                const std::string& database = {}) const {
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
            PQconnectdb((dsn(database) + " connect_timeout=10").c_str()), &PQfinish);
        if (PQstatus(conn.get()) != CONNECTION_OK) {
            throw std::runtime_error("PostgresServer: cannot connect to " + dsn(database) + ": " +
                                     PQerrorMessage(conn.get()));
        }
        std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()),
                                                             &PQclear);
        const auto status = PQresultStatus(result.get());
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            throw std::runtime_error("PostgresServer: `" + sql +
                                     "` failed: " + PQerrorMessage(conn.get()));
        }
        std::vector<std::vector<std::string>> rows;
        for (int r = 0; r < PQntuples(result.get()); ++r) {
            auto& row = rows.emplace_back();
            for (int c = 0; c < PQnfields(result.get()); ++c) {
                row.emplace_back(PQgetvalue(result.get(), r, c),
                                 static_cast<std::size_t>(PQgetlength(result.get(), r, c)));
            }
        }
        return rows;
    }
    /// The first column of the first row of query(sql).
    std::string scalar(const std::string& sql, const std::string& database = {}) const {
        auto rows = query(sql, database);
        if (rows.empty() || rows.front().empty()) {
            throw std::runtime_error("PostgresServer: `" + sql + "` returned no value");
        }
        return rows.front().front();
    }

    /// Fast shutdown (SIGINT: clients are disconnected, the cluster is clean), by pid.
    void stop() {
        if (!running()) return;
        server_->signal(SIGINT);
        if (!server_->wait_for(std::chrono::seconds(30))) {
            server_->signal(SIGQUIT);
            if (!server_->wait_for(std::chrono::seconds(10))) {
                server_->signal(SIGKILL);
                server_->wait_for(std::chrono::seconds(10));
            }
        }
        keep_log();
    }

    /// A crash: SIGKILL to the postmaster and every backend, with nothing flushed or
    /// said to the clients (their sockets just close). Returns once all are gone.
    void kill9() {
        if (!running()) return;
        const pid_t postmaster = server_->pid();
        ::kill(postmaster, SIGSTOP);  // no new backends while we collect them
        const auto backends = children_of(postmaster);
        for (pid_t child : backends) ::kill(child, SIGKILL);
        ::kill(postmaster, SIGKILL);
        if (!server_->wait_for(std::chrono::seconds(10))) {
            throw std::runtime_error("PostgresServer: the postmaster survived SIGKILL");
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::any_of(backends.begin(), backends.end(), alive)) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("PostgresServer: a backend survived SIGKILL");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        keep_log();
    }

    /// Starts the server again on the same data directory and port (after stop() or
    /// kill9(): crash recovery runs first) and waits until it accepts connections.
    void restart() {
        if (running()) stop();
        start_server();
    }

    /// Everything the server wrote to stderr, across restarts.
    std::string server_log() const { return old_logs_ + (server_ ? server_->err() : ""); }

private:
    std::filesystem::path data_dir() const { return dir_.path() / "data"; }

    static std::filesystem::path find_bin_dir() {
        if (const char* env = std::getenv("RELAY_POSTGRES_BINDIR"); env && *env) return env;
        std::vector<std::filesystem::path> found;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
            if (std::filesystem::exists(entry.path() / "bin" / "postgres")) {
                found.push_back(entry.path() / "bin");
            }
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
            return std::atoi(a.parent_path().filename().c_str()) <
                   std::atoi(b.parent_path().filename().c_str());
        });
        if (!found.empty()) return found.back();
        if (const char* path = std::getenv("PATH")) {
            std::string all = path;
            std::size_t start = 0;
            while (start <= all.size()) {
                const auto colon = all.find(':', start);
                std::filesystem::path dir = all.substr(start, colon - start);
                if (!dir.empty() && std::filesystem::exists(dir / "initdb")) return dir;
                if (colon == std::string::npos) break;
                start = colon + 1;
            }
        }
        return {};  // the commands then fail, naming what was run
    }

    std::string bin(const std::string& name) const {
        return bin_dir_.empty() ? name : (bin_dir_ / name).string();
    }

    /// As root: run as the postgres user (or nobody), who must own the directory.
    void prepare_ownership() {
        if (::geteuid() != 0) return;
        const passwd* pw = ::getpwnam("postgres");
        if (pw == nullptr) pw = ::getpwnam("nobody");
        if (pw == nullptr) {
            throw std::runtime_error(
                "PostgresServer: running as root, and there is neither a 'postgres' nor a "
                "'nobody' user to run the server as (initdb refuses root)");
        }
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        if (::chown(dir_.path().c_str(), *uid_, *gid_) != 0) {
            throw std::runtime_error("PostgresServer: cannot chown " + dir_.path().string());
        }
        ::chmod(dir_.path().c_str(), 0700);
    }

    std::vector<std::string> as_server_user(std::vector<std::string> argv) const {
        if (!uid_) return argv;
        // setpriv execs the command in place (no fork, unlike runuser/su), so the pid
        // we hold is the server's own.
        std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=" + std::to_string(*uid_),
                                            "--regid=" + std::to_string(*gid_), "--clear-groups",
                                            "--"};
        wrapped.insert(wrapped.end(), argv.begin(), argv.end());
        return wrapped;
    }

    static std::string command_line(const std::vector<std::string>& argv) {
        std::string out;
        for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
        return out;
    }

    void run_checked(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
        argv = as_server_user(std::move(argv));
        Finished done;
        try {
            done = Process::run(argv, dir_.path(), timeout);
        } catch (const std::exception& e) {
            throw std::runtime_error("PostgresServer: `" + command_line(argv) + "`: " + e.what());
        }
        if (done.exit_code != 0) {
            throw std::runtime_error("PostgresServer: `" + command_line(argv) + "` failed (exit " +
                                     std::to_string(done.exit_code) + "): " + done.err + done.out +
                                     (done.exit_code == 127
                                          ? " (install Debian's postgresql package, or set "
                                            "RELAY_POSTGRES_BINDIR)"
                                          : ""));
        }
    }

    void start_server() {
        std::vector<std::string> argv = {bin("postgres"),
                                         "-D",
                                         data_dir().string(),
                                         "-p",
                                         std::to_string(port_),
                                         "-k",
                                         dir_.path().string(),
                                         "-h",
                                         host_};
        for (const auto& setting : options_.settings) {
            argv.push_back("-c");
            argv.push_back(setting);
        }
        argv = as_server_user(std::move(argv));
        keep_log();
        server_ = std::make_unique<Process>(argv, dir_.path());
        const std::string ping = "host=" + host_ + " port=" + std::to_string(port_) +
                                 " user=" + options_.user + " dbname=postgres connect_timeout=2";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (PQping(ping.c_str()) != PQPING_OK) {
            if (!server_->running() || server_->wait_for(std::chrono::milliseconds(0))) {
                throw std::runtime_error("PostgresServer: `" + command_line(argv) +
                                         "` exited (code " + std::to_string(server_->exit_code()) +
                                         "): " + server_->err());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error(
                    "PostgresServer: `" + command_line(argv) +
                    "` did not accept connections within 60 s: " + server_->err());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    void keep_log() {
        if (!server_) return;
        old_logs_ += server_->err();
        if (server_->running()) return;
        server_.reset();
    }

    /// The pids whose parent is `parent`, from /proc.
    static std::vector<pid_t> children_of(pid_t parent) {
        std::vector<pid_t> children;
        DIR* proc = ::opendir("/proc");
        if (proc == nullptr) return children;
        while (const dirent* entry = ::readdir(proc)) {
            const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
            if (pid <= 0) continue;
            if (auto stat = read_stat(pid); stat && stat->ppid == parent) children.push_back(pid);
        }
        ::closedir(proc);
        return children;
    }

    struct Stat {
        char state;
        pid_t ppid;
    };
    static std::optional<Stat> read_stat(pid_t pid) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(in, line)) return std::nullopt;
        const auto close = line.rfind(')');  // the command may hold spaces and parens
        if (close == std::string::npos || close + 4 > line.size()) return std::nullopt;
        Stat stat{line[close + 2], 0};
        stat.ppid = static_cast<pid_t>(std::atoi(line.c_str() + close + 4));
        return stat;
    }
    /// Still running: neither gone nor a zombie (a zombie holds no socket or memory).
    static bool alive(pid_t pid) {
        auto stat = read_stat(pid);
        return stat && stat->state != 'Z' && stat->state != 'X';
    }

    Options options_;
    TempDir dir_;
    std::filesystem::path bin_dir_;
    std::optional<uid_t> uid_;
    std::optional<gid_t> gid_;
    std::string host_ = "127.0.0.1";
    int port_ = 0;
    std::unique_ptr<Process> server_;
    std::string old_logs_;
};

}  // namespace relay::testing
