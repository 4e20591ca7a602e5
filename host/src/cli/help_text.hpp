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

FILE defaults to config/default.yaml (looked up in the working directory, then beside
the binary): the embedded pipeline, which needs no services - WebSocket transport on
0.0.0.0:3000 speaking Socket.IO v4, in-process queue and presence, SQLite store.

Options:
  --log-level LEVEL   trace, debug, info, warn, error or off; overrides log.level
  --plugin-path DIR   search DIR for plugins before the pipeline's plugins.path
                      (repeatable); RELAY_PLUGIN_PATH (colon-separated) is searched
                      next, then the plugins directory beside the binary
  --json              (plugins) machine-readable output
  --version           print the version and the SDK ABI version
  -h, --help          help

Exit codes: 0 ok, 1 runtime failure (a backend failed to start), 2 bad usage, bad
pipeline or unusable plugin file. Signals: SIGINT/SIGTERM stop gracefully (stop
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
)";

}  // namespace relay::host
