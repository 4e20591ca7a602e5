// The kernel's floor under every chat server on this machine: the CPU time one small
// send costs the sending process on loopback TCP. A server delivering one message to
// one WebSocket client makes (at least) one such send, and on loopback the sender also
// pays for the receiving side of TCP (it runs in the sender's softirq). bench/compare
// runs this beside the servers, so "server CPU per delivery" can be read against it.
//
//   relay_loopback_send_cost [--connections N] [--sends N] [--rate N] [--size BYTES]
//                            [--writer-cpu C] [--reader-cpu C]
//
// The writer sends `size`-byte messages round-robin over N connections at a paced
// rate (like a server at a fixed delivery rate), as a two-buffer sendmsg (header and
// payload, as Relay writes a WebSocket frame); a reader process drains them with
// epoll. Prints one JSON line: {"us_per_send":..., "user_s":..., "sys_s":..., ...}.
#include "pin_to_cpu.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options {
    int connections = 1000;
    long sends = 200000;
    long rate = 40000;
    int size = 150;
    int writer_cpu = -1;
    int reader_cpu = -1;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view key = argv[i];
        const long value = std::strtol(argv[i + 1], nullptr, 10);
        if (key == "--connections")
            o.connections = static_cast<int>(value);
        else if (key == "--sends")
            o.sends = value;
        else if (key == "--rate")
            o.rate = value;
        else if (key == "--size")
            o.size = static_cast<int>(value);
        else if (key == "--writer-cpu")
            o.writer_cpu = static_cast<int>(value);
        else if (key == "--reader-cpu")
            o.reader_cpu = static_cast<int>(value);
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            std::exit(2);
        }
    }
    if (o.connections < 1 || o.connections > 10000 || o.sends < 1 || o.sends > 10000000 ||
        o.rate < 1 || o.rate > 1000000 || o.size < 8 || o.size > 65536) {
        std::fprintf(stderr, "option out of range\n");
        std::exit(2);
    }
    return o;
}

double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::listen(listener, 4096) != 0) {
        die("listen");
    }
    const long total_bytes = o.sends * o.size;
    const pid_t reader = ::fork();
    if (reader < 0) die("fork");
    if (reader == 0) {
        relay::bench::pin_to_cpu(o.reader_cpu);
        const int ep = ::epoll_create1(0);
        for (int i = 0; i < o.connections; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM, 0);
            if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.fd = c;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
        }
        std::vector<char> buffer(1 << 16);
        std::vector<epoll_event> events(256);
        long got = 0;
        while (got < total_bytes) {
            const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5000);
            if (n <= 0) break;  // the writer is gone
            for (int i = 0; i < n; ++i) {
                const auto r = ::read(events[i].data.fd, buffer.data(), buffer.size());
                if (r > 0) got += r;
            }
        }
        ::_exit(0);
    }
    relay::bench::pin_to_cpu(o.writer_cpu);
    std::vector<int> peers;
    for (int i = 0; i < o.connections; ++i) {
        const int s = ::accept(listener, nullptr, nullptr);
        if (s < 0) die("accept");
        const int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        peers.push_back(s);
    }
    std::vector<char> message(static_cast<std::size_t>(o.size), 'x');
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < o.sends; ++i) {
        if (i % 64 == 0) {
            std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000 / o.rate));
        }
        iovec iov[2] = {{message.data(), 4}, {message.data() + 4, message.size() - 4}};
        msghdr header{};
        header.msg_iov = iov;
        header.msg_iovlen = 2;
        if (::sendmsg(peers[static_cast<std::size_t>(i % o.connections)], &header, MSG_NOSIGNAL) <
            0) {
            die("sendmsg");
        }
    }
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    const double user = seconds(after.ru_utime) - seconds(before.ru_utime);
    const double sys = seconds(after.ru_stime) - seconds(before.ru_stime);
    for (const int s : peers) ::close(s);
    ::waitpid(reader, nullptr, 0);
    std::printf(
        "{\"connections\":%d,\"sends\":%ld,\"rate\":%ld,\"size\":%d,\"user_s\":%.3f,"
        "\"sys_s\":%.3f,\"us_per_send\":%.2f}\n",
        o.connections, o.sends, o.rate, o.size, user, sys, (user + sys) * 1e6 / o.sends);
    return 0;
}
