#pragma once
/// A client's close frame (RFC 6455 5.5.1, 7.4): whether its body is valid, and the
/// status code the server's answering close frame carries. Pure.
#include "rfc6455/frame.hpp"

#include <cstdint>
#include <string_view>

namespace relay::plugins::websocket::rfc6455 {

/// True for a status code a client may put in a close frame: 1000-1003 and 1007-1014
/// (defined by RFC 6455 and the IANA registry), and 3000-4999 (libraries,
/// applications). Never 1004-1006 or 1015 (reserved, not to be sent), other codes
/// below 3000 (unassigned), below 1000 or above 4999 (not used).
bool valid_close_code(std::uint16_t code) noexcept;

/// How the server answers a client's close frame.
struct CloseReply {
    CloseCode code = CloseCode::normal;
    /// The frame broke the protocol: the close is a failure of the connection
    /// (counted, logged), not the client's orderly goodbye.
    bool protocol_violation = false;
};

/// The answer to a client close frame whose body is `payload`: an empty body gets
/// 1000; a valid code is echoed (as most WebSocket servers do); a 1-byte body or an
/// invalid code gets 1002; a reason that is not UTF-8 gets 1007.
CloseReply reply_to_close(std::string_view payload) noexcept;

}  // namespace relay::plugins::websocket::rfc6455
