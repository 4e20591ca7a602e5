#include "socketio/decoder.hpp"

namespace relay::plugins::websocket::socketio {

void Decoder::reset() noexcept {
    header_.clear();
    attachments_.clear();
    attachment_bytes_ = 0;
    expected_ = 0;
}

std::error_code Decoder::feed_text(std::string_view text, Packet& out, bool& ready) {
    ready = false;
    if (pending()) {
        reset();
        return Errc::unexpected_text;
    }
    attachments_.clear();
    if (!text.empty() && (text[0] == '5' || text[0] == '6')) {
        // The header must outlive the caller's frame buffer: decode a copy of it.
        header_.assign(text);
        if (auto ec = decode_packet(header_, pending_, limits_.packet)) {
            header_.clear();
            return ec;
        }
        expected_ = pending_.attachments;
        attachment_bytes_ = 0;
        attachments_.reserve(expected_);
        return {};
    }
    if (auto ec = decode_packet(text, out, limits_.packet)) return ec;
    ready = true;
    return {};
}

std::error_code Decoder::feed_binary(std::string_view bytes, Packet& out, bool& ready) {
    ready = false;
    if (!pending()) return Errc::unexpected_binary;
    attachment_bytes_ += bytes.size();
    if (attachment_bytes_ > limits_.max_attachment_bytes) {
        reset();
        return Errc::attachments_too_large;
    }
    attachments_.emplace_back(bytes);
    if (attachments_.size() < expected_) return {};
    expected_ = 0;
    out = pending_;
    ready = true;
    return {};
}

}  // namespace relay::plugins::websocket::socketio
