#pragma once
#include "rfc6455/frame.hpp"
#include "server/connection_slot.hpp"
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

namespace relay::plugins::websocket {

class EngineSession;
struct Telemetry;

/// The settings a WebSocket link reads.
struct LinkOptions {
    std::uint64_t max_payload{};                    ///< a message's largest size
    std::chrono::milliseconds handshake_timeout{};  ///< for the upgrade's handshake
};

/// What the WebSocket links of one transport share (the transport owns it).
struct LinkShared {
    LinkOptions options;
    Telemetry& telemetry;               ///< log, bad_packets, writes
    const std::atomic<bool>& stopping;  ///< the transport is stopping: no close linger
};

/// One accepted WebSocket carrying one Engine.IO session's frames.
///
/// Beast answers the upgrade handshake; after it the link speaks RFC 6455 itself
/// (rfc6455/frame.hpp says why): every frame the session has queued goes out in one
/// gathered write (one sendmsg for a burst of broadcasts), control frames (pong,
/// close) ride along in the same write, and an idle link holds no read buffer: it
/// waits for readability and reads into a per-thread buffer, keeping only the bytes
/// of an incomplete frame.
///
/// Lifecycle: the session holds it; pending operations hold it too; it holds only a
/// weak reference back. Thread safety: the session's executor only.
class WebSocketLink : public std::enable_shared_from_this<WebSocketLink> {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using WriteDone = std::function<void(std::error_code)>;
    /// Frames per gathered write: two buffers each (header, payload), within the 64
    /// that Asio hands to one sendmsg.
    static constexpr std::size_t kMaxFramesPerWrite = 31;

    WebSocketLink(boost::asio::ip::tcp::socket socket, const LinkShared& shared,
                  ConnectionSlot slot);

    /// The WebSocket handshake answering `request`; `done(true)` once it succeeded.
    void accept(const std::shared_ptr<const Request>& request, std::function<void(bool)> done);
    /// Starts reading: the messages that come in go to `session`.
    void start(const std::shared_ptr<EngineSession>& session);
    /// Writes the first `count` (at most kMaxFramesPerWrite) frames of `frames` in one
    /// gathered write; `done` runs once they are written (or failed): before write()
    /// returns when the socket took them at once. One at a time.
    void write(const std::deque<OutFrame>& frames, std::size_t count, WriteDone done);
    void write(const OutFrame& frame, WriteDone done);
    /// Sends a close frame with `code` after the write in flight, then ends the
    /// connection.
    void close(rfc6455::CloseCode code = rfc6455::CloseCode::normal);

private:
    void wait_readable();
    void on_readable();
    /// Parses the frames in `data[0, size)`; returns the bytes used, or false through
    /// `ok` when the link failed or closed.
    std::size_t parse(char* data, std::size_t size, bool& ok);
    bool on_frame(const rfc6455::ClientFrame& frame);
    /// A whole message came in from the client: hands it to the session.
    bool receive_message(std::string_view message, bool binary);
    void fail(rfc6455::CloseCode code, std::string_view why);
    void lost(std::error_code ec);
    void queue_control(rfc6455::Opcode opcode, std::string_view payload);
    void pump();
    void on_written(const boost::system::error_code& ec, bool with_data, bool with_close);
    void after_close_written();
    void shut();

    boost::asio::ip::tcp::socket socket_;
    const LinkShared& shared_;
    ConnectionSlot slot_;
    std::weak_ptr<EngineSession> session_;

    std::string partial_;  // the bytes of an incomplete frame
    std::string message_;  // a fragmented message being assembled
    bool in_message_ = false;
    bool message_binary_ = false;

    std::vector<OutFrame> in_flight_;
    std::vector<rfc6455::FrameHeader> headers_;
    std::vector<boost::asio::const_buffer> gather_;
    std::string control_;            // a pong and/or the close waiting for the next write
    std::string control_in_flight_;  // the ones being written
    WriteDone data_done_;
    bool data_pending_ = false;
    bool writing_ = false;
    bool close_queued_ = false;   // a close frame is queued or written
    bool close_written_ = false;  // nothing more may be written
    bool shut_ = false;           // the socket is closed
    std::unique_ptr<boost::asio::steady_timer> linger_;
};

}  // namespace relay::plugins::websocket
