#pragma once
#include "server/server_context.hpp"
#include "server/tls_identity.hpp"
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/transport.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace relay::plugins::websocket {

/// The `websocket` transport: a Socket.IO v4 server. One acceptor hands connections to
/// the I/O threads in turn; each connection and its session live on one thread for
/// life (see Shard). A broadcast encodes its frame once and posts it to every shard.
/// With tls_cert and tls_key every connection speaks TLS; reload() (SIGHUP) reads them
/// again for new connections (TlsIdentity).
/// Lifecycle and thread safety: as sdk::Transport.
class WebSocketTransport final : public sdk::Transport {
public:
    WebSocketTransport(Settings settings, sdk::PluginContext& ctx);
    ~WebSocketTransport() override;
    WebSocketTransport(const WebSocketTransport&) = delete;
    WebSocketTransport& operator=(const WebSocketTransport&) = delete;
    WebSocketTransport(WebSocketTransport&&) = delete;
    WebSocketTransport& operator=(WebSocketTransport&&) = delete;

    void start(sdk::Inbound& inbound, sdk::Done done) override;
    void broadcast(const sdk::Message& msg, std::string_view except_sender) override;
    void presence_changed(const sdk::PresenceEvent& event) override;
    void stop(sdk::Done done) override;
    /// New connections get the certificate tls_cert and tls_key hold now; open ones keep
    /// theirs. Bad files keep the old one (a warning says which).
    void reload() override;
    /// The reloadable() keys (limits, presence events, history sizes), for what comes
    /// next: a message, a history query, a connection. A lowered max_payload applies to
    /// open sessions too, whatever their handshake announced: a polling client that
    /// batches past it is closed.
    void reconfigure(const sdk::ConfigView& config) override;
    /// Asks every shard for its rooms and sums them, on the shards' threads.
    void rooms(sdk::LocalRoomsDone done) override;
    /// Every shard ends its matching sessions (ChatSocket::disconnect_by_server).
    void disconnect(const sdk::DisconnectTarget& target, sdk::DisconnectDone done) override;

    /// The bound port (listen port 0 picks a free one); valid after start().
    std::uint16_t port() const { return port_; }

private:
    void accept();
    /// Answers a connection refused by `limit` (refusal.hpp) and closes it (without an
    /// answer over TLS, see refuse()).
    void refuse(boost::asio::ip::tcp::socket socket, Limit limit, std::chrono::seconds retry_after,
                const std::string& address);
    void wait_for_acks(sdk::Done done);
    void wait_for_flush(sdk::Done done, std::chrono::steady_clock::time_point deadline);

    ServerContext server_;
    std::optional<TlsIdentity> tls_;  // with tls_cert and tls_key
    sdk::Executor control_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::size_t next_shard_ = 0;
    std::chrono::steady_clock::time_point last_refusal_log_{};
    std::chrono::steady_clock::time_point last_accept_error_log_{};
    boost::asio::steady_timer accept_retry_;  // after an accept error (EMFILE)
    static constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
    boost::asio::steady_timer stop_timer_;
    std::uint16_t port_ = 0;
};

}  // namespace relay::plugins::websocket
