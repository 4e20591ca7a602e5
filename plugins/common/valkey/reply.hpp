#pragma once
/// A Valkey reply as a C++ value, copied out of hiredis's redisReply so that handlers
/// own it and never see hiredis memory. RESP2 types only (hiredis 0.14).
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::plugins::valkey {

struct Reply {
    enum class Type { nil, string, status, error, integer, array };
    Type type = Type::nil;
    std::string str;  ///< string, status and error replies
    long long integer = 0;
    std::vector<Reply> elements;  ///< array replies

    bool is_nil() const noexcept { return type == Type::nil; }
    bool is_array() const noexcept { return type == Type::array; }
    bool is_string() const noexcept { return type == Type::string || type == Type::status; }
    bool is_integer() const noexcept { return type == Type::integer; }
    /// The integer value, also of a numeric string reply; `fallback` otherwise.
    long long as_integer(long long fallback = 0) const;
};

/// Errors of the Valkey client (category "valkey"). Losing the connection answers
/// sdk::Errc::unavailable, a command without an answer in time sdk::Errc::timed_out,
/// a closed client sdk::Errc::shutting_down.
enum class ClientErrc {
    server_error = 1,  ///< the server answered with an error reply (its text is in Reply::str)
    bad_reply,         ///< a reply of an unexpected shape
    connect_failed,    ///< the first connection could not be made (see the log)
};
const std::error_category& client_category() noexcept;
std::error_code make_error_code(ClientErrc e) noexcept;

}  // namespace relay::plugins::valkey

template <>
struct std::is_error_code_enum<relay::plugins::valkey::ClientErrc> : std::true_type {};
