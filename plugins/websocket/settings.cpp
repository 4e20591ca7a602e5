// The websocket transport's configuration: its keys, the checks across keys, and the
// parsing into Settings.
#include "settings.hpp"

#include "server/recovery_token.hpp"

#include <relay/sdk/config_values.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::websocket {

namespace {

bool offers(const std::vector<std::string>& transports, std::string_view name) {
    return std::find(transports.begin(), transports.end(), name) != transports.end();
}

const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    static const auto bound = [] {
        const Settings made;
        std::vector<std::string> offered;
        if (made.polling) offered.emplace_back("polling");
        if (made.websocket) offered.emplace_back("websocket");
        return sdk::SettingsBinding<Settings>()
            .add_read(
                config_key("listen", ValueType::endpoint, "address and port to accept clients on")
                    .fallback(made.listen_host + ":" + std::to_string(made.listen_port)),
                [](const sdk::ConfigView& config, Settings& s) {
                    const auto listen = sdk::values::parse_endpoint(config.endpoint("listen"));
                    if (!listen) config.fail("listen", "expected host:port");
                    s.listen_host = listen->host;
                    s.listen_port = listen->port;
                })
            .add_read(config_key("path", ValueType::string,
                                 "Engine.IO endpoint path (socket.io-client's `path`)")
                          .fallback(made.path),
                      [](const sdk::ConfigView& config, Settings& s) {
                          s.path = config.string("path");
                          if (s.path.empty() || s.path.back() != '/') s.path += '/';
                      })
            .add(config_key("tls_cert", ValueType::string,
                            "PEM file with the server's certificate, then its chain; with "
                            "tls_key the listener speaks only TLS (https and wss on the same "
                            "port); unset: plain TCP; re-read on SIGHUP"),
                 &Settings::tls_cert)
            .add(config_key("tls_key", ValueType::string,
                            "PEM file with tls_cert's private key (not encrypted); re-read on "
                            "SIGHUP"),
                 &Settings::tls_key)
            .add_choice(config_key("tls_min_version", ValueType::string,
                                   "oldest TLS version a client may speak"),
                        &Settings::tls_min_version,
                        {{"1.2", tls::MinVersion::tls1_2}, {"1.3", tls::MinVersion::tls1_3}})
            .add(config_key("max_payload", ValueType::size,
                            "largest message or polling body a client may send; larger closes it")
                     .at_least(1024)
                     .reloadable(),
                 &Settings::max_payload)
            .add(config_key("max_connections", ValueType::integer,
                            "open TCP connections, and Engine.IO sessions (polling ones "
                            "included), each at most this many; past it a connection or "
                            "handshake gets 503")
                     .at_least(1)
                     .reloadable(),
                 &Settings::max_connections)
            .add(config_key("max_connections_per_address", ValueType::integer,
                            "open TCP connections one remote address may hold; past it 429; 0: "
                            "no limit (behind a proxy every client has the proxy's address)")
                     .at_least(0),
                 &Settings::max_connections_per_address)
            .add(config_key("max_polling_sessions_per_address", ValueType::integer,
                            "Engine.IO sessions one remote address may open over polling (many "
                            "fit in one TCP connection); past it 429; 0: no limit")
                     .at_least(0),
                 &Settings::max_polling_sessions_per_address)
            .add(config_key("connection_rate_per_address", ValueType::number,
                            "new TCP connections a second one remote address may open, saving "
                            "up to connection_burst_per_address; past it 429; 0: no limit")
                     .at_least(0),
                 &Settings::connection_rate_per_address)
            .add(config_key("connection_burst_per_address", ValueType::integer,
                            "new TCP connections one address may open at once under "
                            "connection_rate_per_address")
                     .at_least(1),
                 &Settings::connection_burst_per_address)
            .add(config_key("max_room_bytes", ValueType::integer,
                            "longest room name a client may join (bytes of UTF-8; control "
                            "characters and invalid UTF-8 are refused too)")
                     .at_least(1)
                     .reloadable(),
                 &Settings::max_room_bytes)
            .add(config_key("max_user_bytes", ValueType::integer,
                            "longest user name a client may claim (bytes of UTF-8; control "
                            "characters and invalid UTF-8 are refused too)")
                     .at_least(1)
                     .reloadable(),
                 &Settings::max_user_bytes)
            .add(config_key("ping_interval", ValueType::duration,
                            "how often the server pings a client"),
                 &Settings::ping_interval)
            .add(config_key("ping_timeout", ValueType::duration,
                            "how long a client may take to answer a ping before it is closed"),
                 &Settings::ping_timeout)
            .add(config_key("handshake_timeout", ValueType::duration,
                            "time to send a complete HTTP request or WebSocket upgrade"),
                 &Settings::handshake_timeout)
            .add(config_key("connect_timeout", ValueType::duration,
                            "time between the Engine.IO handshake and the Socket.IO CONNECT"),
                 &Settings::connect_timeout)
            .add_read(config_key("transports", ValueType::string_list,
                                 "offered transports: polling, websocket")
                          .fallback(sdk::values::format_list(offered)),
                      [](const sdk::ConfigView& config, Settings& s) {
                          const auto transports = config.string_list("transports");
                          s.polling = offers(transports, "polling");
                          s.websocket = offers(transports, "websocket");
                      })
            .add(config_key("cors_origins", ValueType::string_list,
                            "browser origins besides the server's own that may use polling "
                            "(CORS); \"*\": any; requests without Origin (native clients) "
                            "always may"),
                 &Settings::cors_origins)
            .add(config_key("ws_origins", ValueType::string_list,
                            "browser origins besides the server's own that may open a "
                            "WebSocket; \"*\": any; requests without Origin (native clients) "
                            "always may"),
                 &Settings::ws_origins)
            .add(config_key("max_queued_bytes", ValueType::size,
                            "outbound bytes a slow client may have queued before it is dropped; "
                            "more than twice max_payload")
                     .at_least(1024)
                     .reloadable(),
                 &Settings::max_queued_bytes)
            .add(config_key("recovery", ValueType::boolean,
                            "connection state recovery: reconnecting clients get what they "
                            "missed"),
                 &Settings::recovery)
            .add(config_key("recovery_window", ValueType::duration,
                            "how long a disconnected session can be recovered"),
                 &Settings::recovery_window)
            .add(config_key("recovery_secret", ValueType::string,
                            "secret (16 bytes or more) signing the recovery tokens; every node "
                            "of a cluster must have the same one, so a client recovers on any "
                            "node; empty: a random one per process (only the same node "
                            "recovers)")
                     .hidden(),
                 &Settings::recovery_secret)
            .add(config_key("recovery_buffer", ValueType::size,
                            "recent messages kept in memory for recovering clients; older ones "
                            "come from the store")
                     .at_least(1024),
                 &Settings::recovery_buffer)
            .add(config_key("presence_events", ValueType::boolean,
                            "send `join` and `leave` events to a room when members come and go")
                     .reloadable(),
                 &Settings::presence_events)
            .add(config_key("history_max", ValueType::integer,
                            "most messages one `history` call returns")
                     .at_least(1)
                     .reloadable(),
                 &Settings::history_max)
            .add(config_key("history_max_bytes", ValueType::size,
                            "most bytes of stored messages sent to a client at once: a `history` "
                            "reply is cut to the newest that fit and says there is more; a "
                            "recovery that missed more connects afresh; below max_queued_bytes")
                     .at_least(1024)
                     .reloadable(),
                 &Settings::history_max_bytes)
            .add(config_key("serve_page", ValueType::boolean, "serve the chat page at /"),
                 &Settings::serve_page);
    }();
    return bound;
}

std::optional<std::string> string_if_set(const sdk::ConfigView& config, std::string_view key) {
    return config.has(key) ? std::optional(config.string(key)) : std::nullopt;
}

}  // namespace

sdk::Schema schema() {
    return binding().schema();
}

std::vector<sdk::KeyProblem> check_settings(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    const auto path = config.string("path");
    if (path.empty() || path.front() != '/') {
        problems.push_back({"path", "expected a path starting with '/', got \"" + path + "\""});
    }
    const auto transports = config.string_list("transports");
    for (const auto& t : transports) {
        if (t != "polling" && t != "websocket") {
            problems.push_back({"transports", "expected polling or websocket, got \"" + t + "\""});
        }
    }
    if (transports.empty()) problems.push_back({"transports", "expected at least one transport"});
    // One message (its text and its attachments, each up to max_payload) must fit in
    // what a receiver may queue, or a single message drops every member of its room
    // and can never be had from the history either.
    const auto payload_bytes = config.size("max_payload");
    const auto queued_bytes = config.size("max_queued_bytes");
    if (queued_bytes <= 2 * payload_bytes) {
        problems.push_back({"max_queued_bytes",
                            "expected more than twice max_payload (a message and its "
                            "attachments, " +
                                std::to_string(2 * payload_bytes) + " bytes), got " +
                                std::to_string(queued_bytes) + " bytes"});
    }
    // A history reply (or a recovery) must leave the outbound queue room for the live
    // messages that follow it, or asking for history would drop the client.
    const auto history_bytes = config.size("history_max_bytes");
    if (history_bytes >= queued_bytes) {
        problems.push_back({"history_max_bytes",
                            "expected less than max_queued_bytes (" + std::to_string(queued_bytes) +
                                " bytes), got " + std::to_string(history_bytes) + " bytes"});
    }
    // The files are read as the transport will read them at start.
    if (auto tls = tls::check_settings(string_if_set(config, "tls_cert"),
                                       string_if_set(config, "tls_key"))) {
        problems.push_back({std::string(tls::setting_name(tls->file)), std::move(tls->message)});
    }
    const auto secret = config.string("recovery_secret");
    if (!secret.empty() && secret.size() < RecoveryTokens::kMinSecret) {
        problems.push_back(
            {"recovery_secret", "expected at least " + std::to_string(RecoveryTokens::kMinSecret) +
                                    " characters, got " + std::to_string(secret.size()) +
                                    "; e.g. openssl rand -base64 32"});
    }
    return problems;
}

Settings parse_settings(const sdk::ConfigView& config) {
    return binding().read(config);
}

}  // namespace relay::plugins::websocket
