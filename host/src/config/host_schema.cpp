#include "config/host_schema.hpp"

#include "config/pipeline.hpp"

#include <relay/sdk/config_values.hpp>

namespace relay::host {
namespace {

sdk::ConfigKey key(std::string name, sdk::ValueType type, std::optional<std::string> default_value,
                   std::string description) {
    sdk::ConfigKey k;
    k.name = std::move(name);
    k.type = type;
    k.default_value = std::move(default_value);
    k.description = std::move(description);
    return k;
}

// The defaults are Pipeline's member initialisers, so each is written once.
sdk::Schema make_node_schema() {
    const Pipeline defaults;
    auto threads =
        key("threads", sdk::ValueType::integer, std::to_string(defaults.threads),
            "I/O threads, each with its own io_context; 0: one per core this process may "
            "run on (its CPU affinity, e.g. taskset)");
    threads.min = 0;
    return {
        key("id", sdk::ValueType::string, std::nullopt, "this node's id; default: the host name"),
        threads,
        key("drain_timeout", sdk::ValueType::duration,
            sdk::values::format_duration(defaults.drain_timeout),
            "how long each step of a stop waits: the transport for in-flight messages, the queue "
            "for its drain into the store"),
    };
}

sdk::Schema make_plugins_schema() {
    return {key("path", sdk::ValueType::string_list, std::nullopt,
                "directories searched for plugins, relative to this file's directory; "
                "then RELAY_PLUGIN_PATH, then the install directory")};
}

sdk::Schema make_log_schema() {
    auto level =
        key("level", sdk::ValueType::string, Pipeline{}.log_level, "the least severe level logged");
    level.choices = {"trace", "debug", "info", "warn", "error", "off"};
    return {level};
}

sdk::Schema make_admin_schema() {
    const Pipeline defaults;
    auto max_body = key("api_max_body", sdk::ValueType::size,
                        sdk::values::format_size(defaults.admin_api_max_body),
                        "largest request body the server API (/api/v1/) accepts; larger gets 413");
    max_body.min = 1024;
    return {key("listen", sdk::ValueType::endpoint, std::nullopt,
                "where the admin HTTP server (/metrics /healthz /readyz /api/v1/) listens; "
                "unset: none"),
            key("token", sdk::ValueType::string, std::nullopt,
                "a bearer token /metrics requires (Authorization: Bearer <token>); /healthz "
                "and /readyz stay open for probes; unset: none required; the server API's "
                "token too, unless api_token is set"),
            key("api_token", sdk::ValueType::string, std::nullopt,
                "the bearer token the server API (/api/v1/: publish, disconnect, ...) requires; "
                "unset: admin.token; neither set: the API answers 403"),
            max_body,
            key("tls_cert", sdk::ValueType::string, std::nullopt,
                "PEM file with the admin server's certificate, then its chain; with tls_key it "
                "serves only https; re-read on SIGHUP; unset: http"),
            key("tls_key", sdk::ValueType::string, std::nullopt,
                "PEM file with tls_cert's private key (not encrypted); re-read on SIGHUP")};
}

}  // namespace

const std::vector<std::string>& pipeline_sections() {
    static const std::vector<std::string> names = {
        "node",  "plugins",  "log",   "transport", "processors",
        "queue", "presence", "store", "auth",      "admin",
    };
    return names;
}

const sdk::Schema* host_section_schema(std::string_view section) {
    static const sdk::Schema node = make_node_schema();
    static const sdk::Schema plugins = make_plugins_schema();
    static const sdk::Schema log = make_log_schema();
    static const sdk::Schema admin = make_admin_schema();
    if (section == "node") return &node;
    if (section == "plugins") return &plugins;
    if (section == "log") return &log;
    if (section == "admin") return &admin;
    return nullptr;
}

}  // namespace relay::host
