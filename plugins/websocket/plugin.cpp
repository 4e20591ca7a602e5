// The `websocket` transport plugin: manifest and factory.
#include "server/websocket_transport.hpp"
#include "settings.hpp"

#include <relay/sdk/plugin.hpp>

#include <memory>

namespace relay::plugins::websocket {
namespace {

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "websocket",
        .version = "0.1.0",
        .description = "Socket.IO v4 server (Engine.IO v4 polling + WebSocket) on Boost.Beast",
        .schema = schema(),
        .factory = sdk::TransportFactory([](sdk::PluginContext& ctx) {
            return std::make_unique<WebSocketTransport>(parse_settings(ctx.config()), ctx);
        }),
        .check = check_settings,
    };
    return m;
}

}  // namespace
}  // namespace relay::plugins::websocket

RELAY_PLUGIN(relay::plugins::websocket::manifest)
