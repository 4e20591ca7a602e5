#pragma once
#include "server/connection_slot.hpp"
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <system_error>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace relay::plugins::websocket {

class EngineSession;
struct ServerContext;

/// One accepted WebSocket, after its handshake, carrying one Engine.IO session's
/// frames. It reads messages and hands them to the session; it writes the frames the
/// session gives it, one write at a time (the session keeps the queue).
/// Lifecycle: the session holds it; pending operations hold it too; it holds only a
/// weak reference back. Thread safety: the session's executor only.
class WebSocketLink : public std::enable_shared_from_this<WebSocketLink> {
public:
    using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
    using WriteDone = std::function<void(std::error_code)>;

    WebSocketLink(Stream stream, ServerContext& server, ConnectionSlot slot);

    /// The WebSocket handshake answering `request`; `done(true)` once it succeeded.
    void accept(
        std::shared_ptr<const boost::beast::http::request<boost::beast::http::string_body>> request,
        std::function<void(bool)> done);
    /// Starts the read loop, delivering to `session`.
    void start(const std::shared_ptr<EngineSession>& session);
    /// Writes one frame; `done` runs after it is written (or failed). One at a time.
    void write(const OutFrame& frame, WriteDone done);
    /// Closes with a WebSocket close frame after the write in flight, if any.
    void close();

private:
    void read();

    Stream ws_;
    ServerContext& server_;
    ConnectionSlot slot_;
    boost::beast::flat_buffer buffer_;
    std::weak_ptr<EngineSession> session_;
    bool writing_ = false;
    bool close_after_write_ = false;
    bool closing_ = false;
};

}  // namespace relay::plugins::websocket
