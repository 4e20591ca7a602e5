#include "options.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <boost/program_options.hpp>

namespace relay::loadgen {

namespace po = boost::program_options;

Options parse_options(int argc, char** argv) {
    Options o;
    po::options_description d(
        "loadgen: Socket.IO-over-WebSocket load against a chat server on this machine\n\n"
        "R rooms of C clients each; S of them per room send at a constant rate (open loop),\n"
        "every other member must receive each message. Prints a progress line each second\n"
        "and, at the end, a summary and one JSON line on stdout.\n\noptions");
    d.add_options()("help,h", "this help")("host", po::value(&o.host)->default_value(o.host),
                                           "server address (loopback only)")(
        "port", po::value(&o.port)->default_value(o.port), "server port")(
        "also-port", po::value(&o.more_ports)->multitoken(),
        "another node of the same cluster (repeatable): a room's clients take the ports "
        "in turn")("path", po::value(&o.path)->default_value(o.path), "Engine.IO path")(
        "rooms,r", po::value(&o.rooms)->default_value(o.rooms), "rooms")(
        "clients,c", po::value(&o.clients)->default_value(o.clients), "clients per room")(
        "senders,s", po::value(&o.senders)->default_value(o.senders), "senders per room (0: idle)")(
        "rate", po::value(&o.rate)->default_value(o.rate), "messages per second per sender")(
        "payload", po::value(&o.payload)->default_value(o.payload),
        "message size in bytes (about)")("warmup",
                                         po::value(&o.warmup_s)->default_value(o.warmup_s),
                                         "seconds of load before measuring")(
        "duration,d", po::value(&o.duration_s)->default_value(o.duration_s), "seconds measured")(
        "drain", po::value(&o.drain_s)->default_value(o.drain_s),
        "seconds to wait for late deliveries")(
        "threads,t", po::value(&o.threads)->default_value(o.threads), "client threads")(
        "connect-parallel", po::value(&o.connect_parallel)->default_value(o.connect_parallel),
        "handshakes in flight at once")("label", po::value(&o.label)->default_value(o.label),
                                        "a name for the JSON line")(
        "token", po::value(&o.token)->default_value(o.token),
        "a credential every client sends as auth.token in its CONNECT (auth plugins)")(
        "quiet,q", "no progress line");
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help") > 0) {
        std::cout << d << "\n";
        std::exit(0);
    }
    po::notify(vm);
    o.progress = vm.count("quiet") == 0;
    // Load goes only to this machine, and a run always ends by itself.
    if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1" &&
        o.host.rfind("127.", 0) != 0) {
        throw std::invalid_argument("--host must be a loopback address (127.0.0.0/8, ::1)");
    }
    // Written into the CONNECT's JSON as it is: JWTs and API keys need no escaping.
    for (const char c : o.token) {
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
            throw std::invalid_argument("--token: printable ASCII without quotes or backslashes");
        }
    }
    if (o.rooms == 0 || o.clients == 0)
        throw std::invalid_argument("--rooms and --clients must be > 0");
    if (o.senders > o.clients) throw std::invalid_argument("--senders cannot exceed --clients");
    if (static_cast<std::uint64_t>(o.rooms) * o.clients > 200'000) {
        throw std::invalid_argument("at most 200,000 connections");
    }
    if (o.duration_s <= 0 || o.duration_s > 900 || o.warmup_s < 0 || o.warmup_s > 300 ||
        o.drain_s < 0 || o.drain_s > 120) {
        throw std::invalid_argument(
            "--duration must be in (0, 900], --warmup in [0, 300], --drain in [0, 120]");
    }
    if (o.rate < 0 || o.rate > 100'000)
        throw std::invalid_argument("--rate must be in [0, 100000]");
    if (o.threads == 0 || o.threads > 64)
        throw std::invalid_argument("--threads must be in [1, 64]");
    if (o.path.empty() || o.path.front() != '/')
        throw std::invalid_argument("--path must start with /");
    if (o.path.back() != '/') o.path += '/';
    return o;
}

}  // namespace relay::loadgen
