#include "cli/api_commands.hpp"

#include "cli/api_client.hpp"

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

using json = nlohmann::json;

// Where a node's admin listener is unless --admin or RELAY_ADMIN_URL says otherwise
// (config/default.yaml's examples and the README use this one).
constexpr std::string_view kDefaultAdmin = "http://127.0.0.1:9100";

struct Call {
    std::string method;
    std::string target;
    std::string body;
};

/// The usage error for `command`, as one line; exit 2.
int usage(const std::string& command, const std::string& problem) {
    std::cerr << "relay " << command << ": " << problem << "\nTry 'relay --help'.\n";
    return 2;
}

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): single-threaded CLI
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

std::string room_path(const std::string& room, const std::string& tail) {
    return "/api/v1/rooms/" + url_encode(room) + "/" + tail;
}

/// The request `options` ask for, or nullopt after printing the usage error.
std::optional<Call> build(const ApiOptions& o, int& exit_code) {
    const auto& c = o.command;
    const auto wants = [&](std::size_t n, const char* shape) -> bool {
        if (o.args.size() == n) return true;
        exit_code =
            usage(c, o.args.size() < n
                         ? std::string("missing arguments; usage: relay ") + shape
                         : "unexpected argument '" + o.args[n] + "'; usage: relay " + shape);
        return false;
    };
    if (c == "info") {
        if (!wants(0, "info")) return std::nullopt;
        return Call{"GET", "/api/v1/info", {}};
    }
    if (c == "nodes") {
        if (!wants(0, "nodes")) return std::nullopt;
        return Call{"GET", "/api/v1/nodes", {}};
    }
    if (c == "rooms") {
        if (!wants(0, "rooms [--limit N]")) return std::nullopt;
        std::string target = "/api/v1/rooms";
        if (o.limit) target += "?limit=" + url_encode(*o.limit);
        return Call{"GET", target, {}};
    }
    if (c == "presence") {
        if (!wants(1, "presence ROOM")) return std::nullopt;
        return Call{"GET", room_path(o.args[0], "presence"), {}};
    }
    if (c == "history") {
        if (!wants(1, "history ROOM [--limit N] [--before ID | --after ID]")) return std::nullopt;
        std::string query;
        const auto add = [&](const char* name, const std::optional<std::string>& value) {
            if (!value) return;
            query += query.empty() ? '?' : '&';
            query += name;
            query += '=';
            query += url_encode(*value);
        };
        add("limit", o.limit);
        add("before", o.before);
        add("after", o.after);
        return Call{"GET", room_path(o.args[0], "messages") + query, {}};
    }
    if (c == "publish") {
        if (!wants(2, "publish ROOM JSON [--user NAME]")) return std::nullopt;
        json message = json::parse(o.args[1], nullptr, false);
        if (message.is_discarded() || !message.is_object()) {
            exit_code = usage(c, R"(JSON must be a JSON object, e.g. '{"text":"hello"}')");
            return std::nullopt;
        }
        json body = {{"message", std::move(message)}};
        if (o.user) body["user"] = *o.user;
        return Call{"POST", room_path(o.args[0], "messages"), body.dump()};
    }
    if (c == "disconnect") {
        if (!wants(0, "disconnect (--sid SID | --user USER) [--room ROOM] [--no-reconnect]")) {
            return std::nullopt;
        }
        if (o.sid.has_value() == o.user.has_value()) {
            exit_code = usage(c, "name the connection: --sid SID or --user USER (one of them)");
            return std::nullopt;
        }
        json body = {{"reconnect", !o.no_reconnect}};
        if (o.sid) body["sid"] = *o.sid;
        if (o.user) body["user"] = *o.user;
        if (o.room) body["room"] = *o.room;
        return Call{"POST", "/api/v1/disconnect", body.dump()};
    }
    exit_code = usage(c, "not a server API command");
    return std::nullopt;
}

}  // namespace

bool is_api_command(const std::string& command) {
    return command == "publish" || command == "history" || command == "rooms" ||
           command == "presence" || command == "disconnect" || command == "info" ||
           command == "nodes";
}

int run_api_command(const ApiOptions& options) {
    const auto& command = options.command;
    int exit_code = 0;
    const auto call = build(options, exit_code);
    if (!call) return exit_code;
    AdminUrl url;
    try {
        url = AdminUrl::parse(
            options.admin.value_or(env("RELAY_ADMIN_URL").value_or(std::string(kDefaultAdmin))));
    } catch (const std::invalid_argument& e) {
        return usage(command, std::string("--admin ") + e.what());
    }
    const auto token = options.token.value_or(env("RELAY_ADMIN_TOKEN").value_or(""));
    ApiAnswer answer;
    try {
        answer = call_api(url, token, call->method, call->target, call->body, options.ca_file);
    } catch (const ApiUnreachable& e) {
        std::cerr << "relay " << command << ": cannot reach the node's admin listener: " << e.what()
                  << " (--admin URL, or RELAY_ADMIN_URL)\n";
        return 3;
    }
    const json doc = json::parse(answer.body, nullptr, false);
    if (answer.status >= 200 && answer.status < 300) {
        std::cout << (doc.is_discarded() ? answer.body : doc.dump(2)) << '\n';
        return 0;
    }
    // The API's errors are {"error", "reason"}: on stdout for scripts, and one line on
    // stderr for people; anything else is shown as it came.
    if (doc.is_object()) std::cout << doc.dump(2) << '\n';
    std::string error = answer.body;
    if (doc.is_object() && doc.contains("error")) {
        error = doc.value("error", "") + ": " + doc.value("reason", "");
    }
    while (!error.empty() && error.back() == '\n') error.pop_back();
    std::cerr << "relay " << command << ": " << answer.status << " " << error;
    if (answer.status == 401 && token.empty()) {
        std::cerr << " (give the token with --token or RELAY_ADMIN_TOKEN)";
    }
    std::cerr << '\n';
    return 1;
}

}  // namespace relay::host
