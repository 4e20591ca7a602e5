#pragma once
#include "rfc6455/frame.hpp"
#include "server/client_stream.hpp"
#include "server/connection_slot.hpp"
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/live_value.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
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
    sdk::LiveValue<std::uint64_t> max_payload;      ///< a message's largest size (live)
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
/// of an incomplete frame; a write goes out at once when the socket takes it.
///
/// Over TLS the frames are the same, but OpenSSL keeps state between calls and may
/// need to read to write, so reads and writes are asynchronous through the TLS stream
/// (a gathered write is one TLS record up to 16 KiB), and a read in flight needs a
/// buffer of its own.
///
/// Lifecycle: the session holds it; pending operations hold it too; it holds only a
/// weak reference back. Thread safety: the session's executor only (a TLS link's I/O
/// may belong to another thread's io_context; its handlers still run on the session's).
class WebSocketLink : public std::enable_shared_from_this<WebSocketLink> {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using WriteDone = std::function<void(std::error_code)>;
    /// Frames per gathered write: two buffers each (header, payload), within the 64
    /// that Asio hands to one sendmsg.
    static constexpr std::size_t kMaxFramesPerWrite = 31;

    /// Plain TCP: `socket` belongs to the session's io_context.
    WebSocketLink(boost::asio::ip::tcp::socket socket, const LinkShared& shared,
                  ConnectionSlot slot);
    /// TLS: `stream` stays with the io_context it was accepted on (TLS state cannot
    /// move), where accept() runs; from start() on, every handler runs on `session`,
    /// the session's executor.
    WebSocketLink(std::unique_ptr<TlsStream> stream, const sdk::Executor& session,
                  const LinkShared& shared, ConnectionSlot slot);

    /// The WebSocket handshake answering `request`, on the stream's own executor;
    /// `done(true)` there once it succeeded.
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
    void read_tls();
    /// `n` bytes came in: parses what they complete. False once the link stops reading.
    bool take(char* chunk, std::size_t n);
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
    boost::asio::ip::tcp::socket& tcp_socket();

    std::optional<boost::asio::ip::tcp::socket> socket_;  // plain TCP
    std::unique_ptr<TlsStream> tls_;                      // or TLS
    std::vector<char> tls_read_;                          // TLS: the read in flight's buffer
    boost::asio::any_io_executor home_;                   // where the handlers run
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
