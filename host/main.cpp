#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return relay::host::run_cli(argc, argv);
}
