#pragma once
#include "server/address_limits.hpp"
#include "server/chat_socket.hpp"
#include "server/engine_session.hpp"
#include "server/http_connection.hpp"
#include "server/session_registry.hpp"
#include "server/shard.hpp"
#include "server/telemetry.hpp"
#include "server/websocket_link.hpp"
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/live_value.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace relay::plugins::websocket {

/// The parts of one transport, built once from its Settings: the transport owns them,
/// and they outlive every connection (the transport's stop waits for them). No class
/// takes the whole: each takes its own part (ChatShared, SessionShared, LinkShared,
/// HttpShared: the settings it reads, cut from Settings here, and what it calls), so
/// its constructor says what it depends on.
struct ServerContext {
    ServerContext(Settings s, sdk::PluginContext& ctx);
    /// Applies the keys of `next` that the schema marks reloadable() (SIGHUP,
    /// Transport::reconfigure); every other key keeps its value from the start.
    void apply_live(const Settings& next);
    ServerContext(const ServerContext&) = delete;
    ServerContext& operator=(const ServerContext&) = delete;
    ServerContext(ServerContext&&) = delete;
    ServerContext& operator=(ServerContext&&) = delete;
    ~ServerContext() = default;

    /// What the transport itself reads (listen, recovery), as started: the reloadable
    /// keys live in the parts' options and below, changed by apply_live().
    Settings settings;
    sdk::LiveValue<std::uint64_t> max_connections;  ///< open TCP connections
    sdk::LiveValue<bool> presence_events;
    Telemetry telemetry;
    std::atomic<bool> stopping{false};
    /// Open TCP connections. Shared with every ConnectionSlot: a connection whose last
    /// handler is destroyed with the io_context, after the transport, still has a
    /// counter to give back to.
    std::shared_ptr<std::atomic<std::int64_t>> open_connections =
        std::make_shared<std::atomic<std::int64_t>>(0);
    /// EngineSession objects alive: a closed one lives until its last frames are out.
    /// Shared like open_connections, for sessions destroyed after the transport.
    std::shared_ptr<std::atomic<std::int64_t>> live_sessions =
        std::make_shared<std::atomic<std::int64_t>>(0);
    /// The per-address limits; leases on it may outlive the transport.
    std::shared_ptr<AddressLimits> addresses;
    SessionRegistry registry;
    std::vector<std::unique_ptr<Shard>> shards;  ///< one per I/O thread

    ChatShared chat;
    SessionShared sessions;
    LinkShared links;
    HttpShared http;
};

}  // namespace relay::plugins::websocket
