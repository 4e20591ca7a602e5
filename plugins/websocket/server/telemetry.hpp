#pragma once
#include "server/refusal.hpp"

#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace relay::plugins::websocket {

/// Where the transport reports: the host's log and the transport's metrics (README
/// "Metrics"). Only written to; nothing in the transport reads it to decide anything.
/// The log and the metrics are the host's and outlive the transport; this struct does
/// not (a part that may outlive the transport keeps the metric itself, not the struct).
/// Thread safety: any thread.
struct Telemetry {
    Telemetry(sdk::Logger& logger, sdk::Metrics& metrics)
        : log(logger),
          connections(metrics.gauge("websocket_connections", "Open client connections")),
          sessions(metrics.gauge("websocket_sessions", "Engine.IO sessions")),
          messages_received(metrics.counter("websocket_messages_received_total",
                                            "Chat messages received from clients")),
          deliveries(metrics.counter("websocket_deliveries_total",
                                     "Frames queued to clients by broadcasts")),
          writes(metrics.counter(
              "websocket_writes_total",
              "Socket writes to WebSocket clients (each sends every frame queued by then)")),
          slow_consumers(metrics.counter(
              "websocket_slow_consumer_drops_total",
              "Clients dropped because their outbound queue passed max_queued_bytes")),
          bad_packets(metrics.counter("websocket_bad_packets_total",
                                      "Connections closed for a malformed packet or frame")),
          refused(metrics.counter(
              "websocket_refused_total",
              "Connections and handshakes refused (limits, origin, shutting down)")),
          limit_refusals(limit_counters(metrics)),
          tls_handshake_failures(metrics.counter(
              "websocket_tls_handshake_failures_total",
              "TLS handshakes that failed (plain HTTP to the TLS port, an untrusted "
              "certificate, a timeout)")),
          tls_reloads(metrics.counter("websocket_tls_reloads_total",
                                      "Certificate reloads (SIGHUP) that took the new files")),
          tls_reload_failures(metrics.counter(
              "websocket_tls_reload_failures_total",
              "Certificate reloads (SIGHUP) that kept the previous certificate: a file did "
              "not read")) {}

    /// Counts a refusal by `limit`.
    void count_refusal(Limit limit) {
        refused.add();
        limit_refusals[static_cast<std::size_t>(limit)]->add();
    }

    sdk::Logger& log;
    sdk::Gauge& connections;          ///< open TCP connections
    sdk::Gauge& sessions;             ///< Engine.IO sessions alive
    sdk::Counter& messages_received;  ///< chat messages that came in from clients
    sdk::Counter& deliveries;         ///< frames queued out to clients by broadcasts
    sdk::Counter& writes;             ///< socket writes out to WebSocket clients
    sdk::Counter& slow_consumers;     ///< clients dropped at max_queued_bytes
    sdk::Counter& bad_packets;        ///< connections closed for what they sent
    sdk::Counter& refused;            ///< connections and handshakes refused
    /// relay_websocket_limit_refusals_total{limit="<setting>"}, by Limit.
    std::array<sdk::Counter*, kLimitCount> limit_refusals;
    sdk::Counter& tls_handshake_failures;  ///< TLS handshakes that did not complete
    sdk::Counter& tls_reloads;             ///< SIGHUPs that took a new certificate
    sdk::Counter& tls_reload_failures;     ///< SIGHUPs that kept the old one

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
