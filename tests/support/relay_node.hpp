#pragma once
// RelayNode: the relay binary on a pipeline of the test's choosing, with the line
// transport (tests/plugins/line_transport.cpp) on a free port and the admin listener,
// for tests of what an operator and a load balancer see (/readyz, /metrics) while
// backends come and go. Stopped by its pid (SIGTERM) when it goes.
#include "support/free_port.hpp"
#include "support/http_get.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace relay::testing {

class RelayNode {
public:
    /// `sections`: the pipeline's queue/presence/store sections as YAML lines;
    /// `admin_keys`: more keys of the admin section (", token: x"). Starts the binary
    /// and waits (20 s at most) until /readyz answers 200.
    explicit RelayNode(const std::string& sections, const std::string& node_id = "node-a",
                       const std::string& admin_keys = "")
        : admin_port_(free_port()) {
        std::ofstream(dir_ / "pipeline.yaml")
            << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", " << RELAY_PLUGIN_DIR << "] }\n"
            << "node: { id: " << node_id << " }\n"
            << "transport: { use: testline, listen: 127.0.0.1:0, port_file: "
            << (dir_ / "port").string() << " }\n"
            << sections << "admin: { listen: 127.0.0.1:" << admin_port_ << admin_keys << " }\n";
        process_ = std::make_unique<Process>(
            std::vector<std::string>{RELAY_BINARY, "run", (dir_ / "pipeline.yaml").string()},
            dir_.path());
        if (!eventually([&] { return readyz().status == 200 || !process_->running(); }) ||
            !process_->running()) {
            throw std::runtime_error("relay did not become ready: " + readyz().body +
                                     "\nstderr:\n" + process_->err());
        }
        std::ifstream in(dir_ / "port");
        if (!(in >> port_)) throw std::runtime_error("relay wrote no port file");
    }

    HttpAnswer readyz() const { return http_get(admin_port_, "/readyz"); }
    std::uint16_t admin_port() const { return admin_port_; }
    std::string metrics() const { return http_get(admin_port_, "/metrics").body; }
    /// The value of the metric line starting with `series` ("relay_plugin_up{...}"),
    /// or nullopt when there is none.
    std::optional<long long> metric(const std::string& series) const {
        const std::string text = metrics();
        const auto at = text.find("\n" + series + " ");
        if (at == std::string::npos) return std::nullopt;
        return std::stoll(text.substr(at + series.size() + 2));
    }
    std::string log() const { return process_->err(); }
    Process& process() { return *process_; }

    /// Milliseconds until /readyz answers `status` (polled every 20 ms), or nullopt
    /// after `limit`.
    std::optional<long long> ms_until_readyz(int status, std::chrono::milliseconds limit) const {
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            const auto elapsed = std::chrono::steady_clock::now() - start;
            if (readyz().status == status) {
                return std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
            }
            if (elapsed > limit) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    /// Connects a line-protocol client to `room` and publishes one message; returns the
    /// server's answer ("ACK t1 <id>", "NACK t1 <reason>"), or "" without one within
    /// `timeout`.
    std::string publish_one(const std::string& room,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return {};
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port_);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::string answer;
        const std::string request = "HELLO " + room + " tester\nPUB t1 {\"n\":1}\n";
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            std::string line;
            while (std::chrono::steady_clock::now() < deadline) {
                timeval tv{0, 100'000};
                ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                char c = 0;
                const auto n = ::read(fd, &c, 1);
                if (n == 0) break;
                if (n < 0) continue;  // the 100 ms receive timeout: check the deadline
                if (c != '\n') {
                    line.push_back(c);
                    continue;
                }
                if (line.rfind("ACK t1", 0) == 0 || line.rfind("NACK t1", 0) == 0) {
                    answer = line;
                    break;
                }
                line.clear();
            }
        }
        ::close(fd);
        return answer;
    }

private:
    TempDir dir_;
    std::uint16_t admin_port_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Process> process_;  // after dir_: stopped before it goes
};

}  // namespace relay::testing
