// mock-kafka: librdkafka's mock cluster as a process of its own, so that tests and
// manual runs speak the real Kafka protocol over TCP without a Kafka installation.
//
//   mock-kafka [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file PATH]
//              [--port PORT] [--control-port PORT] [--control-port-file PATH]
//              [--exit-with-parent]
//
// --port PORT: broker 1 listens on 127.0.0.1:PORT, broker 2 on PORT+1, ...; without it
// the kernel picks free ports. Fixed ports let a restarted mock keep the brokers'
// addresses, so running nodes reconnect instead of needing a restart themselves.
// --control-port PORT: the same for the control interface.
//
// Prints the bootstrap list ("127.0.0.1:PORT,...") on stdout once the brokers listen,
// and writes it to --bootstrap-file. Stops on SIGTERM or SIGINT, and with
// --exit-with-parent also when the process that started it dies (a crashed test
// leaves no cluster behind).
//
// Control interface (fault injection): a TCP server on 127.0.0.1, port written to
// --control-port-file. One command per line, one reply line each ("OK" or "ERR why"):
//   broker-down ID | broker-up ID          take a broker off the network / back
//   push-errors APIKEY ERR COUNT           the next COUNT requests of APIKEY fail with ERR
//   clear-errors APIKEY                    drop pushed errors of APIKEY
//   leader TOPIC PARTITION BROKER          move a partition's leader
//   rtt BROKER MS                          add round-trip time to a broker
//   create-topic NAME PARTITIONS [REPLICAS]
//   ping
//
// MOCK_KAFKA_DEBUG=mock,cgrp (librdkafka debug contexts) logs the mock's protocol
// handling on stderr: which requests arrived, group state changes.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

int g_signal_pipe[2] = {-1, -1};

// The port the next mock broker binds, 0: the kernel's choice. See bind() below.
std::atomic<int> g_next_broker_port{0};

void on_signal(int) {
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
}

struct Options {
    int brokers = 3;
    std::vector<std::pair<std::string, int>> topics;
    std::string bootstrap_file;
    std::string control_port_file;
    int port = 0;
    int control_port = 0;
    bool exit_with_parent = false;
};

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "mock-kafka: %s\n"
                 "usage: mock-kafka [--brokers N] [--topic NAME:PARTITIONS]... "
                 "[--bootstrap-file PATH] [--port PORT] [--control-port PORT] "
                 "[--control-port-file PATH] [--exit-with-parent]\n",
                 problem.c_str());
    std::exit(2);
}

std::optional<int> to_int(std::string_view text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--brokers") {
            auto n = to_int(value());
            if (!n || *n < 1) usage("--brokers expects a positive number");
            o.brokers = *n;
        } else if (arg == "--topic") {
            const std::string spec = value();
            const auto colon = spec.rfind(':');
            auto n = colon == std::string::npos ? std::nullopt
                                                : to_int(std::string_view(spec).substr(colon + 1));
            if (!n || *n < 1 || colon == 0) usage("--topic expects NAME:PARTITIONS, got " + spec);
            o.topics.emplace_back(spec.substr(0, colon), *n);
        } else if (arg == "--bootstrap-file") {
            o.bootstrap_file = value();
        } else if (arg == "--port" || arg == "--control-port") {
            auto n = to_int(value());
            if (!n || *n < 1 || *n > 65535) usage(std::string(arg) + " expects a port 1..65535");
            (arg == "--port" ? o.port : o.control_port) = *n;
        } else if (arg == "--control-port-file") {
            o.control_port_file = value();
        } else if (arg == "--exit-with-parent") {
            o.exit_with_parent = true;
        } else if (arg == "--help" || arg == "-h") {
            usage("starts librdkafka's mock cluster");
        } else {
            usage("unknown option " + std::string(arg));
        }
    }
    return o;
}

/// Written to a temporary name, then renamed: a reader never sees half a file.
bool write_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << "\n";
        if (!out) return false;
    }
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::string error_text(rd_kafka_resp_err_t err) {
    return err ? std::string("ERR ") + rd_kafka_err2str(err) : "OK";
}

/// Runs one control command against the cluster; returns the reply line.
std::string run_command(rd_kafka_mock_cluster_t* mc, int brokers, const std::string& line) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    std::vector<std::string> args;
    for (std::string a; in >> a;) args.push_back(a);
    auto num = [&](std::size_t i) { return i < args.size() ? to_int(args[i]) : std::nullopt; };
    auto broker_ok = [&](std::optional<int> id) { return id && *id >= 1 && *id <= brokers; };

    if (cmd == "ping") return "OK";
    if (cmd == "broker-down" || cmd == "broker-up") {
        if (!broker_ok(num(0))) return "ERR expected a broker id 1.." + std::to_string(brokers);
        return error_text(cmd == "broker-down" ? rd_kafka_mock_broker_set_down(mc, *num(0))
                                               : rd_kafka_mock_broker_set_up(mc, *num(0)));
    }
    if (cmd == "push-errors") {
        if (!num(0) || !num(1) || !num(2) || *num(2) < 0) {
            return "ERR usage: push-errors APIKEY ERR COUNT";
        }
        std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(*num(2)),
                                                static_cast<rd_kafka_resp_err_t>(*num(1)));
        rd_kafka_mock_push_request_errors_array(mc, static_cast<int16_t>(*num(0)), errors.size(),
                                                errors.data());
        return "OK";
    }
    if (cmd == "clear-errors") {
        if (!num(0)) return "ERR usage: clear-errors APIKEY";
        rd_kafka_mock_clear_request_errors(mc, static_cast<int16_t>(*num(0)));
        return "OK";
    }
    if (cmd == "leader") {
        if (args.size() != 3 || !num(1) || !num(2)) {
            return "ERR usage: leader TOPIC PARTITION BROKER";
        }
        return error_text(
            rd_kafka_mock_partition_set_leader(mc, args[0].c_str(), *num(1), *num(2)));
    }
    if (cmd == "rtt") {
        if (!broker_ok(num(0)) || !num(1) || *num(1) < 0) return "ERR usage: rtt BROKER MS";
        return error_text(rd_kafka_mock_broker_set_rtt(mc, *num(0), *num(1)));
    }
    if (cmd == "create-topic") {
        if (args.size() < 2 || !num(1) || *num(1) < 1) {
            return "ERR usage: create-topic NAME PARTITIONS [REPLICAS]";
        }
        const int replicas = args.size() > 2 && num(2) ? *num(2) : std::min(3, brokers);
        return error_text(rd_kafka_mock_topic_create(mc, args[0].c_str(), *num(1), replicas));
    }
    return "ERR unknown command '" + cmd + "'";
}

struct Client {
    int fd;
    std::string buffer;
};

}  // namespace

// librdkafka 2.0.2's mock brokers bind 127.0.0.1 port 0 and have no option for a port.
// This executable's own bind() comes first in symbol resolution (librdkafka calls it
// through its PLT), so while g_next_broker_port is set -- only around
// rd_kafka_mock_cluster_new, which creates the brokers' listeners one by one, in
// broker order -- a loopback bind to port 0 gets the next fixed port instead.
// SO_REUSEADDR lets a restarted mock take its ports back at once.
extern "C" int bind(int fd, const sockaddr* addr, socklen_t len) {
    using BindFn = int (*)(int, const sockaddr*, socklen_t);
    static const auto real_bind = reinterpret_cast<BindFn>(::dlsym(RTLD_NEXT, "bind"));
    const int port = g_next_broker_port.load();
    if (port > 0 && addr != nullptr && addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        sockaddr_in fixed{};
        std::memcpy(&fixed, addr, sizeof fixed);
        if (fixed.sin_port == 0 && fixed.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
            fixed.sin_port = htons(static_cast<std::uint16_t>(port));
            g_next_broker_port.store(port + 1);
            const int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            return real_bind(fd, reinterpret_cast<const sockaddr*>(&fixed), sizeof fixed);
        }
    }
    return real_bind(fd, addr, len);
}

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);

    if (::pipe(g_signal_pipe) != 0) {
        std::perror("mock-kafka: pipe");
        return 1;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    if (options.exit_with_parent) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() == 1) return 0;  // the parent died before prctl
    }

    // The mock cluster lives inside a client handle; this dummy producer never sends.
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    if (const char* debug = std::getenv("MOCK_KAFKA_DEBUG"); debug && *debug) {
        rd_kafka_conf_set(conf, "debug", debug, errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "log_level", "7", errstr, sizeof errstr);
    }
    std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(
        rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr), &rd_kafka_destroy);
    if (!rk) {
        std::fprintf(stderr, "mock-kafka: cannot create a client handle: %s\n", errstr);
        return 1;
    }
    if (options.port > 0 && options.port + options.brokers - 1 > 65535) {
        usage("--port " + std::to_string(options.port) + " leaves no room for " +
              std::to_string(options.brokers) + " brokers");
    }
    g_next_broker_port.store(options.port);
    std::unique_ptr<rd_kafka_mock_cluster_t, decltype(&rd_kafka_mock_cluster_destroy)> mc(
        rd_kafka_mock_cluster_new(rk.get(), options.brokers), &rd_kafka_mock_cluster_destroy);
    g_next_broker_port.store(0);
    if (!mc) {
        if (options.port > 0) {
            std::fprintf(stderr,
                         "mock-kafka: cannot start the mock cluster: is a port of 127.0.0.1:%d-%d "
                         "in use?\n",
                         options.port, options.port + options.brokers - 1);
        } else {
            std::fprintf(stderr, "mock-kafka: cannot start the mock cluster\n");
        }
        return 1;
    }
    for (const auto& [name, partitions] : options.topics) {
        const auto err = rd_kafka_mock_topic_create(mc.get(), name.c_str(), partitions,
                                                    std::min(3, options.brokers));
        if (err) {
            std::fprintf(stderr, "mock-kafka: cannot create topic %s: %s\n", name.c_str(),
                         rd_kafka_err2str(err));
            return 1;
        }
    }

    // The control server.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(options.control_port));
    socklen_t len = sizeof addr;
    const int one = 1;
    if (listener >= 0) ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 16) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::perror("mock-kafka: control socket");
        return 1;
    }
    const int control_port = ntohs(addr.sin_port);

    const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(mc.get());
    if (!options.control_port_file.empty() &&
        !write_file(options.control_port_file, std::to_string(control_port))) {
        std::fprintf(stderr, "mock-kafka: cannot write %s\n", options.control_port_file.c_str());
        return 1;
    }
    if (!options.bootstrap_file.empty() && !write_file(options.bootstrap_file, bootstraps)) {
        std::fprintf(stderr, "mock-kafka: cannot write %s\n", options.bootstrap_file.c_str());
        return 1;
    }
    std::printf("%s\n", bootstraps.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "mock-kafka: %d broker(s) at %s, control port %d\n", options.brokers,
                 bootstraps.c_str(), control_port);

    std::vector<Client> clients;
    for (;;) {
        std::vector<pollfd> fds;
        fds.push_back({g_signal_pipe[0], POLLIN, 0});
        fds.push_back({listener, POLLIN, 0});
        for (const auto& c : clients) fds.push_back({c.fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            std::perror("mock-kafka: poll");
            break;
        }
        if (fds[0].revents) break;  // SIGTERM / SIGINT
        if (fds[1].revents & POLLIN) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) clients.push_back({fd, {}});
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (!fds[i].revents) continue;
            Client& c = clients[i - 2];
            char buf[1024];
            const ssize_t n = ::read(c.fd, buf, sizeof buf);
            if (n <= 0) {
                ::close(c.fd);
                c.fd = -1;
                continue;
            }
            c.buffer.append(buf, static_cast<std::size_t>(n));
            for (auto nl = c.buffer.find('\n'); nl != std::string::npos; nl = c.buffer.find('\n')) {
                std::string line = c.buffer.substr(0, nl);
                c.buffer.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty()) continue;
                const std::string reply = run_command(mc.get(), options.brokers, line) + "\n";
                std::fprintf(stderr, "mock-kafka: %s -> %s", line.c_str(), reply.c_str());
                [[maybe_unused]] auto w = ::write(c.fd, reply.data(), reply.size());
            }
        }
        std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
    }
    for (const auto& c : clients) ::close(c.fd);
    ::close(listener);
    std::fprintf(stderr, "mock-kafka: stopping\n");
    mc.reset();
    rk.reset();
    return 0;
}
