#pragma once
#include <optional>
#include <string>
#include <vector>

namespace relay::host {

/// What the server API commands take from the command line.
struct ApiOptions {
    std::string command;            ///< publish, history, rooms, presence, disconnect, info, nodes
    std::vector<std::string> args;  ///< after the command: ROOM, JSON
    std::optional<std::string> admin;
    std::optional<std::string> token;
    std::optional<std::string> ca_file;
    std::optional<std::string> user;
    std::optional<std::string> sid;
    std::optional<std::string> room;
    std::optional<std::string> limit;
    std::optional<std::string> before;
    std::optional<std::string> after;
    bool no_reconnect = false;
};

/// True for the commands that talk to a node's server API.
bool is_api_command(const std::string& command);

/// Runs one of them: the answer's JSON on stdout; on an error, one line on stderr.
/// Returns the exit code: 0 ok, 1 the node answered an error, 2 bad usage, 3 the node
/// could not be reached.
int run_api_command(const ApiOptions& options);

}  // namespace relay::host
