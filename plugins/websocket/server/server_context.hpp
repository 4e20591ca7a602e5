#pragma once
#include "server/address_limits.hpp"
#include "server/recovery_registry.hpp"
#include "server/recovery_token.hpp"
#include "server/refusal.hpp"
#include "server/session_registry.hpp"
#include "server/shard.hpp"
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/transport.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace relay::plugins::websocket {

/// What every connection and session of one transport shares. Owned by the
/// transport; outlives every connection (the transport's stop waits for them).
struct ServerContext {
    ServerContext(Settings s, sdk::PluginContext& ctx)
        : settings(std::move(s)),
          tokens(settings.recovery_secret.empty() ? RecoveryTokens::random()
                                                  : RecoveryTokens(settings.recovery_secret)),
          log(ctx.log()),
          node_id(ctx.node_id()),
          connections(ctx.metrics().gauge("websocket_connections", "Open client connections")),
          sessions(ctx.metrics().gauge("websocket_sessions", "Engine.IO sessions")),
          received(ctx.metrics().counter("websocket_messages_received_total",
                                         "Chat messages received from clients")),
          delivered(ctx.metrics().counter("websocket_deliveries_total",
                                          "Frames queued to clients by broadcasts")),
          writes(ctx.metrics().counter(
              "websocket_writes_total",
              "Socket writes to WebSocket clients (each sends every frame queued by then)")),
          slow_consumers(ctx.metrics().counter(
              "websocket_slow_consumer_drops_total",
              "Clients dropped because their outbound queue passed max_queued_bytes")),
          bad_packets(ctx.metrics().counter("websocket_bad_packets_total",
                                            "Connections closed for a malformed packet or frame")),
          refused(ctx.metrics().counter(
              "websocket_refused_total",
              "Connections and handshakes refused (limits, origin, shutting down)")),
          limit_refusals(limit_counters(ctx.metrics())),
          addresses(AddressLimits::make(
              {.max_connections = settings.max_connections_per_address,
               .max_polling_sessions = settings.max_polling_sessions_per_address,
               .connection_rate = {settings.connection_rate_per_address,
                                   static_cast<double>(settings.connection_burst_per_address)}})) {}

    /// Counts a refusal by `limit`.
    void count_refusal(Limit limit) {
        refused.add();
        limit_refusals[static_cast<std::size_t>(limit)]->add();
    }

    Settings settings;
    RecoveryTokens tokens;  ///< issues and checks the pids (recovery_secret)
    sdk::Logger& log;
    std::string node_id;
    sdk::Inbound* inbound = nullptr;
    std::vector<std::unique_ptr<Shard>> shards;  ///< one per I/O thread
    SessionRegistry registry;
    RecoveryRegistry recovery;
    std::atomic<bool> stopping{false};
    /// Shared with every ConnectionSlot: a connection whose last handler is destroyed
    /// with the io_context, after the transport, still has a counter to give back to.
    std::shared_ptr<std::atomic<std::int64_t>> open_connections =
        std::make_shared<std::atomic<std::int64_t>>(0);
    std::atomic<std::int64_t> in_flight{0};  ///< publishes awaiting their ack
    /// EngineSession objects alive: a closed one lives until its last frames are out.
    /// Shared like open_connections, for sessions destroyed after the transport.
    std::shared_ptr<std::atomic<std::int64_t>> live_sessions =
        std::make_shared<std::atomic<std::int64_t>>(0);

    sdk::Gauge& connections;
    sdk::Gauge& sessions;
    sdk::Counter& received;
    sdk::Counter& delivered;
    sdk::Counter& writes;
    sdk::Counter& slow_consumers;
    sdk::Counter& bad_packets;
    sdk::Counter& refused;
    /// relay_websocket_limit_refusals_total{limit="<setting>"}, by Limit.
    std::array<sdk::Counter*, kLimitCount> limit_refusals;
    /// The per-address limits; leases on it may outlive the transport.
    std::shared_ptr<AddressLimits> addresses;

private:
    static std::array<sdk::Counter*, kLimitCount> limit_counters(sdk::Metrics& metrics) {
        std::array<sdk::Counter*, kLimitCount> counters{};
        for (std::size_t i = 0; i < kLimitCount; ++i) {
            counters[i] = &metrics.counter(
                "websocket_limit_refusals_total{limit=\"" +
                    std::string(limit_setting(static_cast<Limit>(i))) + "\"}",
                "Connections and handshakes refused by a transport limit, by its setting");
        }
        return counters;
    }
};

}  // namespace relay::plugins::websocket
