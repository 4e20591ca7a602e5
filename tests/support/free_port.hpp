#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>

namespace relay::testing {

/// Binds `port` on loopback (0: any) and returns the port bound, or 0: whether a
/// server could listen there now.
inline std::uint16_t bind_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    return ok ? ntohs(addr.sin_port) : 0;
}

namespace detail {

/// The first port the kernel hands out for outgoing connections (32768 by default).
inline int ephemeral_low() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 0;
    return range >> low ? low : 32768;
}

}  // namespace detail

/// A loopback TCP port nobody listens on right now, for a server the test starts
/// (postgres, redis-server, an admin endpoint). Chosen at random below the ephemeral
/// range: a port from bind(0) is one the kernel also gives the client side of
/// outgoing connections, and with many tests connecting at once one of them took it
/// before the server bound it ("Address already in use"). Another test could still
/// pick the same port; among ~15,000 that is rare enough to accept.
inline std::uint16_t free_port() {
    constexpr int kLowest = 15000;
    const int high = detail::ephemeral_low() - 1;
    if (high > kLowest + 1000) {
        static thread_local std::mt19937 rng{std::random_device{}()};
        std::uniform_int_distribution<int> pick(kLowest, high);
        for (int attempt = 0; attempt < 100; ++attempt) {
            const auto port = static_cast<std::uint16_t>(pick(rng));
            if (bind_loopback(port) == port) return port;
        }
    }
    if (const auto port = bind_loopback(0)) return port;
    throw std::runtime_error("cannot find a free loopback port");
}

}  // namespace relay::testing
