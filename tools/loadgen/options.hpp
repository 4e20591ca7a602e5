#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace relay::loadgen {

/// What one load run does. Every limit is bounded so a run always stops by itself.
struct Options {
    std::string host = "127.0.0.1";  ///< loopback only (checked)
    std::uint16_t port = 3000;
    /// More servers of one cluster (--also-port): client i of a room connects to the
    /// i-th of [port, more_ports...] in turn, so every room has members on each.
    std::vector<std::uint16_t> more_ports;
    std::string path = "/socket.io/";
    unsigned rooms = 10;
    unsigned clients = 10;  ///< per room, senders included
    unsigned senders = 1;   ///< per room
    double rate = 10;       ///< messages per second per sender (open loop)
    std::size_t payload = 100;
    double warmup_s = 2;
    double duration_s = 10;
    double drain_s = 3;
    unsigned threads = 1;
    unsigned connect_parallel = 256;  ///< handshakes in flight at once
    std::string label;
    /// Sent as `token` in every CONNECT's auth object, for servers with an auth plugin
    /// (one token for every client: its grant must cover every room).
    std::string token;
    bool progress = true;

    /// The port the client with this index in its room connects to.
    std::uint16_t port_for(unsigned index) const {
        const auto n = more_ports.size() + 1;
        return index % n == 0 ? port : more_ports[(index % n) - 1];
    }
};

/// Parses the command line; prints help and exits on --help; throws on bad input.
Options parse_options(int argc, char** argv);

}  // namespace relay::loadgen
