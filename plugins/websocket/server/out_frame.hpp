#pragma once
#include <memory>
#include <string>

namespace relay::plugins::websocket {

/// One Engine.IO packet ready for the wire, shared by every recipient of a broadcast:
/// the bytes are encoded once and never copied per connection. Text frames hold the
/// whole Engine.IO packet (`42[...]`); binary frames hold attachment bytes.
struct OutFrame {
    std::shared_ptr<const std::string> bytes;
    bool binary = false;
};

inline OutFrame text_frame(std::string bytes) {
    return {std::make_shared<const std::string>(std::move(bytes)), false};
}

}  // namespace relay::plugins::websocket

#include <vector>

namespace relay::plugins::websocket {

/// What one broadcast hands to every recipient: its frames (a text header and, for a
/// message with attachments, one binary frame each) and, for a message, its id, room
/// and sender, which recovery uses (empty for events that are not messages).
struct Broadcast {
    std::vector<OutFrame> frames;
    std::string id;
    std::string room;
    std::string sender;
};

}  // namespace relay::plugins::websocket
