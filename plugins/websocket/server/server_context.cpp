#include "server/server_context.hpp"

namespace relay::plugins::websocket {

ServerContext::ServerContext(Settings s, sdk::PluginContext& ctx)
    : settings(std::move(s)),
      max_connections(settings.max_connections),
      presence_events(settings.presence_events),
      telemetry(ctx.log(), ctx.metrics()),
      addresses(AddressLimits::make(
          {.max_connections = settings.max_connections_per_address,
           .max_polling_sessions = settings.max_polling_sessions_per_address,
           .connection_rate = {settings.connection_rate_per_address,
                               static_cast<double>(settings.connection_burst_per_address)}})),
      chat(
          ChatOptions{
              .max_attachment_bytes = settings.max_payload,
              .max_room_bytes = settings.max_room_bytes,
              .max_user_bytes = settings.max_user_bytes,
              .history_max = settings.history_max,
              .history_max_bytes = settings.history_max_bytes,
              .max_queued_bytes = settings.max_queued_bytes,
              .recovery = settings.recovery,
              .recovery_window = settings.recovery_window,
          },
          settings.recovery_secret.empty() ? RecoveryTokens::random()
                                           : RecoveryTokens(settings.recovery_secret),
          std::string(ctx.node_id()), telemetry, stopping),
      sessions{
          .options =
              {
                  .ping_interval = settings.ping_interval,
                  .ping_timeout = settings.ping_timeout,
                  .handshake_timeout = settings.handshake_timeout,
                  .connect_timeout = settings.connect_timeout,
                  .max_payload = settings.max_payload,
                  .max_queued_bytes = settings.max_queued_bytes,
                  .offer_upgrade = settings.websocket,
              },
          .registry = registry,
          .live_sessions = live_sessions,
          .telemetry = telemetry,
          .stopping = stopping,
          .chat = chat,
      },
      links{
          .options = {.max_payload = settings.max_payload,
                      .handshake_timeout = settings.handshake_timeout},
          .telemetry = telemetry,
          .stopping = stopping,
      },
      http{
          .options =
              {
                  .path = settings.path,
                  .max_payload = settings.max_payload,
                  .handshake_timeout = settings.handshake_timeout,
                  .polling = settings.polling,
                  .websocket = settings.websocket,
                  .cors_origins = settings.cors_origins,
                  .ws_origins = settings.ws_origins,
                  .max_sessions = settings.max_connections,
                  .serve_page = settings.serve_page,
              },
          .registry = registry,
          .addresses = *addresses,
          .sessions = sessions,
          .links = links,
          .live_sessions = *live_sessions,
          .telemetry = telemetry,
          .stopping = stopping,
      } {}

// One key, every part that reads it. A reader may see some parts changed before the
// others for an instant (a limit, never a value two parts must agree on).
void ServerContext::apply_live(const Settings& next) {
    max_connections.set(next.max_connections);
    http.options.max_sessions.set(next.max_connections);
    presence_events.set(next.presence_events);
    chat.options.max_attachment_bytes.set(next.max_payload);
    sessions.options.max_payload.set(next.max_payload);
    links.options.max_payload.set(next.max_payload);
    http.options.max_payload.set(next.max_payload);
    chat.options.max_room_bytes.set(next.max_room_bytes);
    chat.options.max_user_bytes.set(next.max_user_bytes);
    chat.options.max_queued_bytes.set(next.max_queued_bytes);
    sessions.options.max_queued_bytes.set(next.max_queued_bytes);
    chat.options.history_max.set(next.history_max);
    chat.options.history_max_bytes.set(next.history_max_bytes);
}

}  // namespace relay::plugins::websocket
