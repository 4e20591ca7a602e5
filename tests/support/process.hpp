#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing {

/// Output and exit code of a finished command.
struct Finished {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// A child process started with fork/exec, its stdout and stderr captured to files.
/// Stopped by its own pid: SIGTERM in the destructor if still running, SIGKILL after
/// a grace period. Never waits forever.
class Process {
public:
    Process(std::vector<std::string> argv, const std::filesystem::path& log_dir,
            std::vector<std::string> env = {})
        : out_path_(log_dir / ("proc-" + std::to_string(counter()++) + ".out")),
          err_path_(out_path_.string() + ".err") {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(out, 1);
            ::dup2(err, 2);
            for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            std::perror("execv");
            ::_exit(127);
        }
    }
    ~Process() {
        if (running()) {
            signal(SIGTERM);
            if (!wait_for(std::chrono::seconds(10))) {
                signal(SIGKILL);
                wait_for(std::chrono::seconds(10));
            }
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running() const { return !exited_; }
    void signal(int signo) const {
        if (!exited_) ::kill(pid_, signo);
    }
    /// Waits for the exit; false on timeout.
    bool wait_for(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exited_) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return true;
    }
    int exit_code() const { return exit_code_; }
    std::string out() const { return slurp(out_path_); }
    std::string err() const { return slurp(err_path_); }

    /// Runs `argv` to completion (bounded by `timeout`).
    static Finished run(std::vector<std::string> argv, const std::filesystem::path& log_dir,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                        std::vector<std::string> env = {}) {
        Process p(std::move(argv), log_dir, std::move(env));
        if (!p.wait_for(timeout)) throw std::runtime_error("command timed out");
        return {p.exit_code(), p.out(), p.err()};
    }

private:
    static int& counter() {
        static int n = 0;
        return n;
    }
    static std::string slurp(const std::filesystem::path& path) {
        std::string data;
        if (FILE* f = std::fopen(path.c_str(), "rb")) {
            std::array<char, 4096> buf{};
            std::size_t n = 0;
            while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) data.append(buf.data(), n);
            std::fclose(f);
        }
        return data;
    }

    std::filesystem::path out_path_;
    std::filesystem::path err_path_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
};

}  // namespace relay::testing
