#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::plugins::websocket::socketio {

/// Appends `json` (valid JSON) to `out` with the `num` of every attachment placeholder
/// (`{"_placeholder":true,"num":k}`) raised by `offset`: one packet that carries
/// several stored messages (a history ack) numbers their attachments in one sequence.
/// Everything else is copied verbatim.
void append_renumbered(std::string& out, std::string_view json, std::uint32_t offset);

}  // namespace relay::plugins::websocket::socketio
