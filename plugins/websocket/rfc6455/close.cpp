#include "rfc6455/close.hpp"

#include "rfc6455/utf8.hpp"

namespace relay::plugins::websocket::rfc6455 {

bool valid_close_code(std::uint16_t code) noexcept {
    if (code >= 1000 && code <= 1003) return true;
    if (code >= 1007 && code <= 1014) return true;
    return code >= 3000 && code <= 4999;
}

CloseReply reply_to_close(std::string_view payload) noexcept {
    if (payload.empty()) return {CloseCode::normal, false};
    if (payload.size() == 1) return {CloseCode::protocol_error, true};
    const auto code = static_cast<std::uint16_t>(
        (static_cast<unsigned>(static_cast<unsigned char>(payload[0])) << 8) |
        static_cast<unsigned char>(payload[1]));
    if (!valid_close_code(code)) return {CloseCode::protocol_error, true};
    if (!valid_utf8(payload.substr(2))) return {CloseCode::invalid_payload, true};
    return {static_cast<CloseCode>(code), false};
}

}  // namespace relay::plugins::websocket::rfc6455
