#pragma once

namespace relay::host {

/// The `relay` command line: run, check, plugins, version, help. Returns the exit
/// code: 0 success, 1 runtime failure, 2 bad usage, configuration or plugin files.
int run_cli(int argc, char** argv);

}  // namespace relay::host
