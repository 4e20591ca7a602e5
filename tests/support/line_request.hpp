#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace relay::testing {

/// Connects to 127.0.0.1:`port`, writes `line` (terminator included) and returns the
/// first line of the answer, without its "\n" or "\r\n"; empty when nothing answered
/// within 2 s. For the line-based control ports of the servers tests start.
inline std::string line_request(std::uint16_t port, const std::string& line) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
        char c = 0;
        while (::read(fd, &c, 1) == 1 && c != '\n') reply.push_back(c);
        if (!reply.empty() && reply.back() == '\r') reply.pop_back();
    }
    ::close(fd);
    return reply;
}

}  // namespace relay::testing
