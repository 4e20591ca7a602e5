// The websocket transport's configuration: its keys, the checks across keys, and the
// parsing into Settings.
#include "settings.hpp"

#include "server/recovery_token.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace relay::plugins::websocket {

sdk::Schema schema() {
    using sdk::config_key;
    using sdk::ValueType;
    return {
        config_key("listen", ValueType::endpoint, "address and port to accept clients on")
            .fallback("0.0.0.0:3000"),
        config_key("path", ValueType::string, "Engine.IO endpoint path (socket.io-client's `path`)")
            .fallback("/socket.io/"),
        config_key("max_payload", ValueType::size,
                   "largest message or polling body a client may send; larger closes it")
            .fallback("1000000")
            .at_least(1024),
        config_key("max_connections", ValueType::integer,
                   "open TCP connections, and Engine.IO sessions (polling ones included), each "
                   "at most this many; past it a connection or handshake gets 503")
            .fallback("100000")
            .at_least(1),
        config_key("max_connections_per_address", ValueType::integer,
                   "open TCP connections one remote address may hold; past it 429; 0: no limit "
                   "(behind a proxy every client has the proxy's address)")
            .fallback("0")
            .at_least(0),
        config_key("max_polling_sessions_per_address", ValueType::integer,
                   "Engine.IO sessions one remote address may open over polling (many fit in "
                   "one TCP connection); past it 429; 0: no limit")
            .fallback("0")
            .at_least(0),
        config_key("connection_rate_per_address", ValueType::number,
                   "new TCP connections a second one remote address may open, saving up to "
                   "connection_burst_per_address; past it 429; 0: no limit")
            .fallback("0"),
        config_key("connection_burst_per_address", ValueType::integer,
                   "new TCP connections one address may open at once under "
                   "connection_rate_per_address")
            .fallback("20")
            .at_least(1),
        config_key("max_room_bytes", ValueType::integer,
                   "longest room name a client may join (bytes of UTF-8; control characters "
                   "and invalid UTF-8 are refused too)")
            .fallback("128")
            .at_least(1),
        config_key("max_user_bytes", ValueType::integer,
                   "longest user name a client may claim (bytes of UTF-8; control characters "
                   "and invalid UTF-8 are refused too)")
            .fallback("128")
            .at_least(1),
        config_key("ping_interval", ValueType::duration, "how often the server pings a client")
            .fallback("25s"),
        config_key("ping_timeout", ValueType::duration,
                   "how long a client may take to answer a ping before it is closed")
            .fallback("20s"),
        config_key("handshake_timeout", ValueType::duration,
                   "time to send a complete HTTP request or WebSocket upgrade")
            .fallback("10s"),
        config_key("connect_timeout", ValueType::duration,
                   "time between the Engine.IO handshake and the Socket.IO CONNECT")
            .fallback("45s"),
        config_key("transports", ValueType::string_list, "offered transports: polling, websocket")
            .fallback("[polling, websocket]"),
        config_key("cors_origins", ValueType::string_list,
                   "origins allowed to use polling cross-origin; \"*\" for any; empty: same origin")
            .fallback("[]"),
        config_key(
            "ws_origins", ValueType::string_list,
            "origins allowed to open a WebSocket; empty: any (non-browser clients send none)")
            .fallback("[]"),
        config_key("max_queued_bytes", ValueType::size,
                   "outbound bytes a slow client may have queued before it is dropped; more "
                   "than twice max_payload")
            .fallback("4MiB")
            .at_least(1024),
        config_key("recovery", ValueType::boolean,
                   "connection state recovery: reconnecting clients get what they missed")
            .fallback("true"),
        config_key("recovery_window", ValueType::duration,
                   "how long a disconnected session can be recovered")
            .fallback("2m"),
        config_key("recovery_secret", ValueType::string,
                   "secret (16 bytes or more) signing the recovery tokens; every node of a "
                   "cluster must have the same one, so a client recovers on any node; empty: a "
                   "random one per process (only the same node recovers)")
            .fallback("")
            .hidden(),
        config_key("recovery_buffer", ValueType::size,
                   "recent messages kept in memory for recovering clients; older ones come "
                   "from the store")
            .fallback("64MiB")
            .at_least(1024),
        config_key("presence_events", ValueType::boolean,
                   "send `join` and `leave` events to a room when members come and go")
            .fallback("true"),
        config_key("history_max", ValueType::integer, "most messages one `history` call returns")
            .fallback("500")
            .at_least(1),
        config_key("history_max_bytes", ValueType::size,
                   "most bytes of stored messages sent to a client at once: a `history` reply "
                   "is cut to the newest that fit and says there is more; a recovery that "
                   "missed more connects afresh; below max_queued_bytes")
            .fallback("1MiB")
            .at_least(1024),
        config_key("serve_page", ValueType::boolean, "serve the chat page at /").fallback("true"),
    };
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
    const auto secret = config.string("recovery_secret");
    if (!secret.empty() && secret.size() < RecoveryTokens::kMinSecret) {
        problems.push_back(
            {"recovery_secret", "expected at least " + std::to_string(RecoveryTokens::kMinSecret) +
                                    " characters, got " + std::to_string(secret.size()) +
                                    "; e.g. openssl rand -base64 32"});
    }
    if (const double rate = config.number("connection_rate_per_address"); !(rate >= 0)) {
        std::array<char, 32> shown{};
        const auto written = std::to_chars(shown.data(), shown.data() + shown.size(), rate);
        problems.push_back(
            {"connection_rate_per_address",
             "expected a non-negative number, got " + std::string(shown.data(), written.ptr)});
    }
    return problems;
}

Settings parse_settings(const sdk::ConfigView& config) {
    Settings s;
    const auto listen = config.endpoint("listen");
    const auto colon = listen.rfind(':');
    s.listen_host = listen.substr(0, colon);
    if (s.listen_host.size() >= 2 && s.listen_host.front() == '[') {
        s.listen_host = s.listen_host.substr(1, s.listen_host.size() - 2);
    }
    s.listen_port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
    s.path = config.string("path");
    if (s.path.back() != '/') s.path += '/';
    s.max_payload = config.size("max_payload");
    s.max_connections = static_cast<std::uint64_t>(config.integer("max_connections"));
    s.max_connections_per_address =
        static_cast<std::uint64_t>(config.integer("max_connections_per_address"));
    s.max_polling_sessions_per_address =
        static_cast<std::uint64_t>(config.integer("max_polling_sessions_per_address"));
    s.connection_rate_per_address = config.number("connection_rate_per_address");
    s.connection_burst_per_address =
        static_cast<std::uint64_t>(config.integer("connection_burst_per_address"));
    s.max_room_bytes = static_cast<std::size_t>(config.integer("max_room_bytes"));
    s.max_user_bytes = static_cast<std::size_t>(config.integer("max_user_bytes"));
    s.ping_interval = config.duration("ping_interval");
    s.ping_timeout = config.duration("ping_timeout");
    s.handshake_timeout = config.duration("handshake_timeout");
    s.connect_timeout = config.duration("connect_timeout");
    const auto transports = config.string_list("transports");
    s.polling = std::find(transports.begin(), transports.end(), "polling") != transports.end();
    s.websocket = std::find(transports.begin(), transports.end(), "websocket") != transports.end();
    s.cors_origins = config.string_list("cors_origins");
    s.ws_origins = config.string_list("ws_origins");
    s.max_queued_bytes = config.size("max_queued_bytes");
    s.recovery = config.boolean("recovery");
    s.recovery_window = config.duration("recovery_window");
    s.recovery_secret = config.string("recovery_secret");
    s.recovery_buffer = config.size("recovery_buffer");
    s.presence_events = config.boolean("presence_events");
    s.history_max = static_cast<std::uint64_t>(config.integer("history_max"));
    s.history_max_bytes = config.size("history_max_bytes");
    s.serve_page = config.boolean("serve_page");
    return s;
}

}  // namespace relay::plugins::websocket
