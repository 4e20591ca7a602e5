#pragma once
/// Reassembles Socket.IO packets from a connection's Engine.IO messages: a text packet
/// is complete by itself; a BINARY_EVENT/BINARY_ACK header (`51-[...]`) is followed by
/// its N attachments, each one binary Engine.IO message (socket.io-parser's Decoder).

#include "socketio/packet.hpp"

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::websocket::socketio {

/// One connection's packet reassembler.
/// Ownership: a non-binary packet's views point into the caller's text (zero copy); a
/// binary packet's header is copied, so its views point into the Decoder and stay valid
/// until the next feed or reset(). Thread safety: one connection, one thread.
class Decoder {
public:
    struct Limits {
        DecodeLimits packet{};
        std::size_t max_attachment_bytes = 1'000'000;  ///< all attachments of one packet
    };

    Decoder() = default;
    explicit Decoder(const Limits& limits) : limits_(limits) {}

    /// Feeds the data of a text Engine.IO message. On success `ready` says whether
    /// `out` holds a complete packet (false: a binary header now awaits attachments).
    /// A text message while attachments are pending is `unexpected_text`.
    std::error_code feed_text(std::string_view text, Packet& out, bool& ready);

    /// Feeds a binary Engine.IO message: the next attachment of the pending packet.
    /// When it was the last, `ready` is true and `out` is the header packet; take the
    /// attachments with take_attachments().
    std::error_code feed_binary(std::string_view bytes, Packet& out, bool& ready);

    /// The attachments of the packet just completed, in order (moved out).
    std::vector<std::string> take_attachments() { return std::move(attachments_); }

    /// True while a binary packet waits for attachments.
    bool pending() const noexcept { return expected_ != 0; }

    /// Drops any pending packet (the connection is closing).
    void reset() noexcept;

private:
    Limits limits_{};
    std::string header_;
    Packet pending_;
    std::vector<std::string> attachments_;
    std::size_t attachment_bytes_ = 0;
    std::uint32_t expected_ = 0;
};

}  // namespace relay::plugins::websocket::socketio
