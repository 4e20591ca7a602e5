#pragma once
#include <string_view>

namespace relay::host {

inline constexpr std::string_view kHelpText = R"(relay - a plugin-based real-time chat broker

Usage:
  relay run [FILE] [options]      start the pipeline in FILE and serve until SIGINT/SIGTERM
  relay check FILE [options]      validate FILE (every error at once) without starting
                                  anything
  relay migrate [FILE] [options]  apply the store's schema migrations, then exit (the
                                  store migrates on start too; this is for migrating
                                  before a deploy)
  relay plugins [--json]          list the plugins on the plugin path, with their config
                                  keys
  relay version                   print the version and the SDK ABI version
  relay help                      this text

Talking to a running node's server API (its admin listener; docs/api.md):
  relay publish ROOM JSON [--user NAME]
                                  publish the JSON object to ROOM through the pipeline;
                                  prints its id once durable
  relay history ROOM [--limit N] [--before ID | --after ID]
                                  ROOM's messages, oldest first, as clients page them
  relay presence ROOM             who is in ROOM, on every node
  relay rooms [--limit N]         the rooms with members on the node, with their
                                  member counts there and cluster-wide
  relay disconnect (--sid SID | --user USER) [--room ROOM] [--no-reconnect]
                                  end those connections on the node; clients reconnect
                                  unless --no-reconnect
  relay nodes                     the cluster's live nodes, as presence lists them,
                                  with their member counts
  relay info                      the node's id, version, plugins and health

FILE defaults to config/default.yaml (looked up in the working directory, then beside
the binary): the embedded pipeline, which needs no services - WebSocket transport on
0.0.0.0:3000 speaking Socket.IO v4, in-process queue and presence, SQLite store.

Options:
  --log-level LEVEL   trace, debug, info, warn, error or off; overrides log.level
  --plugin-path DIR   search DIR for plugins before the pipeline's plugins.path
                      (repeatable); RELAY_PLUGIN_PATH (colon-separated) is searched
                      next, then the plugins directory beside the binary
  --json              (plugins) machine-readable output
  --admin URL         the node's admin listener (API commands), e.g.
                      https://relay-1:9100; default RELAY_ADMIN_URL, else
                      http://127.0.0.1:9100
  --token TOKEN       the API's bearer token (admin.api_token); default
                      RELAY_ADMIN_TOKEN
  --cacert FILE       (https) trust the admin certificate's issuer in FILE instead of
                      the system's CAs
  --version           print the version and the SDK ABI version
  -h, --help          help

Exit codes: 0 ok, 1 runtime failure (a backend failed to start; for the API commands:
the node answered an error, printed as JSON on stdout and one line on stderr), 2 bad
usage, bad pipeline or unusable plugin file, 3 (API commands) the node could not be
reached. API commands print the node's JSON answer on stdout. Signals: SIGINT/SIGTERM stop gracefully (stop
accepting, finish in-flight messages, drain the queue into the store); a second
signal exits at once. SIGHUP (systemctl reload) reloads without dropping a client:
it validates FILE again (a bad file changes nothing; its errors are logged), applies
the processors, the auth section and the transport's live settings (limits,
presence events, history sizes: `relay plugins` marks them) to new messages and
handshakes, re-reads TLS certificates and auth keys, and logs each other change as
needing a restart.
Started by systemd (Type=notify), relay reports when it is ready and stopping, and
pings the watchdog, through NOTIFY_SOCKET.

Examples:
  relay run                                  # embedded defaults, no services needed
  relay check config/production.yaml         # validate before deploying
  RELAY_PLUGIN_PATH=./my-plugins relay plugins
  RELAY_ADMIN_TOKEN=... relay publish lobby '{"text":"maintenance at 18:00"}' --user ops
)";

}  // namespace relay::host
