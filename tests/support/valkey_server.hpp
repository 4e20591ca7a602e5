#pragma once
/// ValkeyServer: a throwaway Valkey (Debian's redis-server speaks the same protocol) on a
/// free loopback port, in a temp dir, stopped by its own pid. Never the system service.
///
///     ValkeyServer server;                          // started, answering PING
///     ValkeyServer durable({.appendonly = true, .appendfsync = "always"});
///     server.kill9();  server.restart();            // same port, same dir
///
/// The binary is $RELAY_TEST_VALKEY_SERVER, else valkey-server or redis-server from
/// /usr/bin or /usr/local/bin. A server that cannot be started throws with the command
/// that failed and its output.
#include "support/free_port.hpp"
#include "support/line_request.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing {

class ValkeyServer {
public:
    struct Options {
        bool appendonly = false;
        std::string appendfsync = "everysec";  ///< always | everysec | no
    };

    ValkeyServer() : ValkeyServer(Options{}) {}
    explicit ValkeyServer(Options options) : options_(std::move(options)), dir_("relay-valkey") {
        // The port is found free, then handed to the server: retry if someone took it.
        for (int attempt = 0;; ++attempt) {
            port_ = free_port();
            try {
                launch();
                return;
            } catch (const std::runtime_error&) {
                if (attempt >= 2) throw;
            }
        }
    }
    ~ValkeyServer() { stop(); }
    ValkeyServer(const ValkeyServer&) = delete;
    ValkeyServer& operator=(const ValkeyServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string url() const { return "redis://" + endpoint(); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    bool running() const { return process_ && process_->running(); }
    pid_t pid() const { return process_ ? process_->pid() : -1; }

    /// SIGTERM and wait (a clean shutdown).
    void stop() {
        if (!process_) return;
        process_->signal(SIGTERM);
        if (!process_->wait_for(std::chrono::seconds(10))) {
            process_->signal(SIGKILL);
            process_->wait_for(std::chrono::seconds(10));
        }
        process_.reset();
    }
    /// SIGKILL and wait: a crash.
    void kill9() {
        if (!process_) return;
        process_->signal(SIGKILL);
        process_->wait_for(std::chrono::seconds(10));
        process_.reset();
    }
    /// Starts again on the same port and dir (what was persisted is loaded).
    void restart() {
        stop();
        launch();
    }

    /// Sends one inline command and returns the first reply line ("+PONG").
    std::string command(const std::string& inline_command) const {
        return line_request(port_, inline_command + "\r\n");
    }

    static std::string binary() {
        if (const char* env = std::getenv("RELAY_TEST_VALKEY_SERVER"); env && *env) return env;
        for (const char* candidate : {"/usr/bin/valkey-server", "/usr/local/bin/valkey-server",
                                      "/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
            if (::access(candidate, X_OK) == 0) return candidate;
        }
        return "/usr/bin/redis-server";  // fails below, naming the command
    }

private:
    std::vector<std::string> argv() const {
        return {binary(),
                "--port",
                std::to_string(port_),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                options_.appendonly ? "yes" : "no",
                "--appendfsync",
                options_.appendfsync,
                "--dir",
                dir_.path().string(),
                "--daemonize",
                "no",
                "--protected-mode",
                "no",
                "--loglevel",
                "warning"};
    }

    void launch() {
        const auto args = argv();
        std::string command_line;
        for (const auto& a : args) command_line += (a.empty() ? "\"\"" : a) + " ";
        process_ = std::make_unique<Process>(args, dir_.path());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            if (process_->wait_for(std::chrono::milliseconds(0))) {
                const std::string out = process_->out() + process_->err();
                const int code = process_->exit_code();
                process_.reset();
                throw std::runtime_error("ValkeyServer: `" + command_line + "` exited with " +
                                         std::to_string(code) + ": " + out);
            }
            const std::string reply = command("PING");
            if (reply == "+PONG") return;
            // A server loading its append-only file answers -LOADING: wait for it.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        process_->signal(SIGKILL);
        process_->wait_for(std::chrono::seconds(5));
        process_.reset();
        throw std::runtime_error("ValkeyServer: `" + command_line +
                                 "` did not answer PING within 20 s");
    }

    Options options_;
    TempDir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Process> process_;
};

}  // namespace relay::testing
