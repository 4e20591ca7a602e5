#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace relay::sdk {

/// One chat message. The host fills `id` and `ts_ms` when it accepts the message;
/// the transport fills `room`, `sender`, `user` and `remote_address` from the sender's
/// session (never from the payload); the queue fills `position` once the message is
/// durable. Immutable once published.
struct Message {
    std::string id;                        ///< time-ordered, lexicographically sortable
    std::string room;                      ///< from the sender's session
    std::string sender;                    ///< the sender's connection id (Socket.IO sid)
    std::string user;                      ///< the sender's user name, may be empty
    std::int64_t ts_ms = 0;                ///< server time, milliseconds since the epoch
    std::string payload_json;              ///< the client's object, as JSON text
    std::vector<std::string> attachments;  ///< binary attachments, in order
    std::string position;                  ///< queue position (offset), opaque to others
    /// The sender's network address as the transport saw it (an IP address, without
    /// the port), for processors at the edge (rate limits per address). Edge-only: a
    /// queue need not carry it, so a message read back from a queue or a store may have
    /// it empty; empty also when the transport does not know it.
    std::string remote_address;

    friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace relay::sdk
