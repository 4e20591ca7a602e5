#pragma once
#include <relay/sdk/config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::host {

/// A typed config value. Which alternative holds, by sdk::ValueType:
/// string and endpoint → std::string, integer → std::int64_t, number → double,
/// boolean → bool, duration → milliseconds, size → std::uint64_t (bytes),
/// string_list → std::vector<std::string>.
using Value = std::variant<std::string, std::int64_t, double, bool, std::chrono::milliseconds,
                           std::uint64_t, std::vector<std::string>>;

/// A parsed value, or the message saying why the text is not one.
struct Parsed {
    std::optional<Value> value;
    std::string error;  ///< "expected …, got …"; empty when `value` holds

    bool ok() const noexcept { return value.has_value(); }
};

/// Parses one scalar's text (after environment substitution) as `key.type`, checking
/// the key's `min`, `max` and `choices`. Accepted forms:
///   integer   [+-]digits, e.g. 12, -3
///   number    a decimal number, e.g. 0.25, 1e3 (finite)
///   boolean   true or false only (not yes/no/on/off: YAML 1.2 reads those as text)
///   duration  a number (integer or decimal) and a unit ms, s, m or h: 250ms, 1.5s;
///             "0" may stand alone; rounded to whole milliseconds
///   size      whole bytes with an optional unit B, KiB, MiB, GiB, TiB (powers of
///             1024) or KB, MB, GB, TB (powers of 1000): 65536, 64KiB
///   endpoint  host:port or [v6-address]:port, port 0..65535
///   string    any text; with `choices`, one of them exactly
///   string_list  a list of one: the text
/// Messages name what the key expects and quote what it got (a secret key's value is
/// never quoted): `expected a positive integer, got "twelve"`.
Parsed parse_scalar(const sdk::ConfigKey& key, std::string_view text);

/// What `key` expects, as messages name it: "a string", "an integer from 1 to 100",
/// "a positive integer", "one of off, normal, full", "a duration like 250ms or 5s".
std::string expectation(const sdk::ConfigKey& key);

/// `expected <expectation(key)>, got <got>`; `got` is used as given ("a mapping").
std::string expected_got(const sdk::ConfigKey& key, std::string_view got);

/// `"text"`, with `"`, `\` and control characters escaped, as messages quote values.
std::string quote(std::string_view text);

/// The pieces of an endpoint text; the host is without brackets ("::1").
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};

std::optional<std::int64_t> parse_integer(std::string_view text);
std::optional<double> parse_number(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace relay::host
