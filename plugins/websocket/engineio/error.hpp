#pragma once
#include <system_error>

namespace relay::plugins::websocket::engineio {

/// Why an Engine.IO packet or polling payload was refused (the reference server
/// answers these with a "parse error" close of the transport).
enum class Errc {
    empty_packet = 1,     ///< a packet (or a polling record) with no type
    unknown_packet_type,  ///< first character not 0..6 (nor `b` for base64 binary)
    bad_base64,           ///< a `b` record whose base64 does not decode
    too_many_packets,     ///< a polling payload with more records than allowed
    bad_utf8,             ///< a polling payload that is not valid UTF-8 text
};

const std::error_category& engineio_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), engineio_category()};
}

}  // namespace relay::plugins::websocket::engineio

template <>
struct std::is_error_code_enum<relay::plugins::websocket::engineio::Errc> : std::true_type {};
