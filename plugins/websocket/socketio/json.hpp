#pragma once
/// A strict, allocation-free JSON (RFC 8259) validator and scanner for the hot path.
///
/// The Socket.IO layer never builds a DOM of a client's payload: it validates the text
/// once and keeps `std::string_view`s of the parts it needs (the elements of an EVENT
/// array, the members of an object). Everything here is a pure function of its input;
/// nothing allocates except `unescape()`, the `append_*` writers and the lists once
/// they outgrow their inline capacity (4 elements, 8 members). Nothing throws.
///
/// Strictness: exactly one value, optionally surrounded by JSON whitespace; strings
/// must be valid UTF-8 without raw control characters; numbers follow the RFC grammar;
/// nesting is limited (`Limits::max_depth`) so hostile input cannot exhaust the stack.
/// Escaped lone surrogates (`"\ud800"`) are accepted, as `JSON.parse` accepts them.

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace relay::plugins::websocket::socketio::json {

enum class Errc {
    empty = 1,             ///< no value at all (empty or whitespace only)
    unexpected_character,  ///< a character that cannot start or continue a value here
    unexpected_end,        ///< the text ends inside a value
    bad_string,            ///< raw control character or invalid escape in a string
    bad_utf8,              ///< a string holds bytes that are not valid UTF-8
    bad_number,            ///< a number that does not follow the JSON grammar
    trailing_characters,   ///< something other than whitespace after the value
    too_deep,              ///< arrays/objects nested deeper than the limit
    not_an_array,          ///< parse_array() on another kind of value
    not_an_object,         ///< parse_object() on another kind of value
};

const std::error_category& json_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), json_category()};
}

struct Limits {
    std::uint32_t max_depth = 64;  ///< nesting of arrays and objects; 1 = flat
};

enum class Kind : std::uint8_t { object, array, string, number, boolean, null };

/// The kind of an already validated value (looks at its first character).
Kind kind_of(std::string_view validated) noexcept;

/// One member of an object: the key as its raw JSON token (quotes and escapes
/// included), the value as raw JSON text, and the whole `"key":value` span.
struct Member {
    std::string_view key{};
    std::string_view value{};
    std::string_view text{};
};

using ElementList = boost::container::small_vector<std::string_view, 4>;
using MemberList = boost::container::small_vector<Member, 8>;

/// Validates that `text` is exactly one JSON value.
std::error_code validate(std::string_view text, const Limits& limits = {});

/// Validates `text` as one JSON array and appends each element's raw text to `out`.
std::error_code parse_array(std::string_view text, ElementList& out, const Limits& limits = {});

/// Validates `text` as one JSON object and appends its members to `out`, in order
/// (duplicate keys kept as they are).
std::error_code parse_object(std::string_view text, MemberList& out, const Limits& limits = {});

/// Receives the objects of a document, innermost first: `begin_object` when an object
/// opens, `member` after each member's value has been scanned, `end_object` when it
/// closes. Used to find Socket.IO binary placeholders without building a DOM.
class Visitor {
public:
    virtual void begin_object() = 0;
    virtual void member(std::string_view key, std::string_view value) = 0;
    virtual void end_object() = 0;

protected:
    ~Visitor() = default;
};

/// validate() that also reports every object to `visitor`.
std::error_code walk(std::string_view text, Visitor& visitor, const Limits& limits = {});

/// True when the raw string token `token` (quotes included, already validated)
/// denotes exactly the UTF-8 string `plain`, escapes taken into account.
bool string_equals(std::string_view token, std::string_view plain);

/// Decodes a validated raw string token into UTF-8. An escaped lone surrogate, which
/// UTF-8 cannot carry, becomes U+FFFD.
std::string unescape(std::string_view token);

/// Appends `v` in decimal, as a JSON number or a Socket.IO header writes it.
void append_uint(std::string& out, std::uint64_t v);

/// The length of `s` written as a JSON string by append_string(), quotes included.
std::size_t quoted_size(std::string_view s) noexcept;

/// Appends `s` as a JSON string, escaped exactly as JavaScript's JSON.stringify does:
/// `"` `\` and control characters (\b \f \n \r \t, the rest as \u00xx); everything
/// else verbatim. `s` must be valid UTF-8 (it is copied, not checked).
void append_string(std::string& out, std::string_view s);

}  // namespace relay::plugins::websocket::socketio::json

template <>
struct std::is_error_code_enum<relay::plugins::websocket::socketio::json::Errc> : std::true_type {};
