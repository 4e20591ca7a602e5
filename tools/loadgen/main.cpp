// loadgen: drives a Socket.IO chat server on this machine with many WebSocket clients
// and measures delivery (lost, duplicated, out of order) and end-to-end latency.
#include "options.hpp"
#include "run.hpp"

#include <iostream>

int main(int argc, char** argv) {
    try {
        return relay::loadgen::run(relay::loadgen::parse_options(argc, argv));
    } catch (const std::exception& e) {
        std::cerr << "loadgen: " << e.what() << "\n";
        return 2;
    }
}
