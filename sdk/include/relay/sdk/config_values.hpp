#pragma once
/// How a configuration value's text becomes a typed value: the one set of rules the
/// host applies to a pipeline file and to schema defaults, and the SDK's TestConfig
/// applies to values a test sets as text. Header-only; needs nothing but the SDK.
#include <relay/sdk/config.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace relay::sdk::values {

/// A typed config value. Which alternative holds, by ValueType:
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

/// The pieces of an endpoint text; the host is without brackets ("::1").
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};

namespace detail {

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

inline bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

inline bool in_range(const ConfigKey& key, long double value) {
    if (key.min && value < static_cast<long double>(*key.min)) return false;
    if (key.max && value > static_cast<long double>(*key.max)) return false;
    return true;
}

}  // namespace detail

/// The largest unit that writes `bytes` exactly: 64MiB, 1000, 0.
inline std::string format_size(std::uint64_t bytes) {
    static constexpr std::array<std::pair<std::uint64_t, const char*>, 4> kUnits = {
        {{1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}}};
    for (const auto& [unit, name] : kUnits) {
        if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + name;
    }
    return std::to_string(bytes);
}

/// The largest unit that writes `ms` exactly: 2h, 10s, 250ms, 0.
inline std::string format_duration(std::chrono::milliseconds ms) {
    static constexpr std::array<std::pair<std::int64_t, const char*>, 3> kUnits = {
        {{3'600'000, "h"}, {60'000, "m"}, {1000, "s"}}};
    if (ms.count() == 0) return "0";
    for (const auto& [unit, name] : kUnits) {
        if (ms.count() % unit == 0) return std::to_string(ms.count() / unit) + name;
    }
    return std::to_string(ms.count()) + "ms";
}

/// A number without trailing zeros: 0.25, 20, 0 (six decimals at most).
inline std::string format_number(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
}

/// A list as a flow sequence, quoting items that need it.
inline std::string format_list(const std::vector<std::string>& items) {
    std::string text = "[";
    for (const auto& item : items) {
        if (text.size() > 1) text += ", ";
        const bool plain = !item.empty() && item.find_first_of(",[]{}\"' ") == std::string::npos;
        text += plain ? item : "\"" + item + "\"";
    }
    return text + "]";
}

/// A bound as the key's type writes it: 4s for a duration, 1 otherwise.
inline std::string bound_text(const ConfigKey& key, std::int64_t bound) {
    if (key.type == ValueType::duration) return format_duration(std::chrono::milliseconds(bound));
    return std::to_string(bound);
}

/// A key's bounds, short, as listings show them: "1..100", ">= 4s", "<= 64".
inline std::string bounds_text(const ConfigKey& key) {
    if (key.min && key.max) return bound_text(key, *key.min) + ".." + bound_text(key, *key.max);
    if (key.min) return ">= " + bound_text(key, *key.min);
    if (key.max) return "<= " + bound_text(key, *key.max);
    return {};
}

/// A key's bounds as messages say them: "from 1 to 100", "of at least
/// 4s"; empty when it has none.
inline std::string range_text(const ConfigKey& key) {
    if (key.min && key.max) {
        return "from " + bound_text(key, *key.min) + " to " + bound_text(key, *key.max);
    }
    if (key.min) return "of at least " + bound_text(key, *key.min);
    if (key.max) return "of at most " + bound_text(key, *key.max);
    return {};
}

/// `"text"`, with `"`, `\` and control characters escaped, as messages quote values.
inline std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    out += '"';
    return out;
}

/// What `key` expects, as messages name it: "a string", "an integer from 1 to 100",
/// "a positive integer", "one of off, normal, full", "a duration like 250ms or 5s".
inline std::string expectation(const ConfigKey& key) {
    switch (key.type) {
        case ValueType::string:
            if (!key.choices.empty()) {
                std::string text = "one of ";
                for (const auto& choice : key.choices) {
                    if (&choice != &key.choices.front()) text += ", ";
                    text += choice;
                }
                return text;
            }
            return "a string";
        case ValueType::integer:
            if (key.min && !key.max && *key.min == 1) return "a positive integer";
            if (key.min && !key.max && *key.min == 0) return "a non-negative integer";
            if (key.min || key.max) return "an integer " + range_text(key);
            return "an integer";
        case ValueType::number:
            if (key.min || key.max) return "a number " + range_text(key);
            return "a number";
        case ValueType::duration:
            if (key.min || key.max) return "a duration " + range_text(key);
            return std::string(describe(key.type));
        case ValueType::size:
            if (key.min || key.max) return "a size " + range_text(key) + " bytes";
            return std::string(describe(key.type));
        default: return std::string(describe(key.type));
    }
}

/// `expected <expectation(key)>, got <got>`; `got` is used as given ("a mapping").
inline std::string expected_got(const ConfigKey& key, std::string_view got) {
    return "expected " + expectation(key) + ", got " + std::string(got);
}

/// [+-]digits, e.g. 12, -3.
inline std::optional<std::int64_t> parse_integer(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const std::string_view digits = (!text.empty() && text.front() == '-') ? text.substr(1) : text;
    if (!detail::all_digits(digits)) return std::nullopt;
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

/// A finite decimal number, e.g. 0.25, 1e3.
inline std::optional<double> parse_number(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() ||
        (!detail::is_digit(text.front()) && text.front() != '-' && text.front() != '.')) {
        return std::nullopt;  // from_chars would also take "inf" and "nan"
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

/// A number (integer or decimal) and a unit ms, s, m or h: 250ms, 1.5s; "0" may stand
/// alone; rounded to whole milliseconds.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text == "0") return std::chrono::milliseconds(0);
    std::size_t end = 0;
    while (end < text.size() && (detail::is_digit(text[end]) || text[end] == '.')) ++end;
    const std::string_view number = text.substr(0, end);
    const std::string_view unit = text.substr(end);
    const std::size_t dot = number.find('.');
    if (!detail::all_digits(number.substr(0, dot))) return std::nullopt;
    if (dot != std::string_view::npos && !detail::all_digits(number.substr(dot + 1))) {
        return std::nullopt;
    }
    long double per_unit = 0;
    if (unit == "ms") {
        per_unit = 1;
    } else if (unit == "s") {
        per_unit = 1000;
    } else if (unit == "m") {
        per_unit = 60'000;
    } else if (unit == "h") {
        per_unit = 3'600'000;
    } else {
        return std::nullopt;
    }
    const auto value = parse_number(number);
    if (!value) return std::nullopt;
    const long double ms = std::round(static_cast<long double>(*value) * per_unit);
    // Keep well inside int64 so later arithmetic on the duration cannot overflow.
    if (ms > static_cast<long double>(std::numeric_limits<std::int64_t>::max()) / 4) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

/// Whole bytes with an optional unit B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB,
/// GB, TB (powers of 1000): 65536, 64KiB.
inline std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && detail::is_digit(text[end])) ++end;
    const std::string_view number = text.substr(0, end);
    const std::string_view unit = text.substr(end);
    struct Unit {
        std::string_view name;
        std::uint64_t bytes;
    };
    static constexpr std::array<Unit, 10> kUnits = {{
        {"", 1},
        {"B", 1},
        {"KiB", 1ULL << 10},
        {"MiB", 1ULL << 20},
        {"GiB", 1ULL << 30},
        {"TiB", 1ULL << 40},
        {"KB", 1'000},
        {"MB", 1'000'000},
        {"GB", 1'000'000'000},
        {"TB", 1'000'000'000'000},
    }};
    if (!detail::all_digits(number)) return std::nullopt;
    std::uint64_t count = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (ec != std::errc{} || ptr != number.data() + number.size()) return std::nullopt;
    for (const auto& candidate : kUnits) {
        if (candidate.name != unit) continue;
        if (count > std::numeric_limits<std::uint64_t>::max() / candidate.bytes) {
            return std::nullopt;
        }
        return count * candidate.bytes;
    }
    return std::nullopt;
}

/// host:port or [v6-address]:port, port 0..65535.
inline std::optional<Endpoint> parse_endpoint(std::string_view text) {
    Endpoint endpoint;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close == 1) return std::nullopt;
        if (close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        endpoint.host = std::string(text.substr(1, close - 1));
        if (endpoint.host.find_first_of("[] \t") != std::string::npos) return std::nullopt;
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        endpoint.host = std::string(text.substr(0, colon));
        // A bare IPv6 address needs brackets: its colons would hide the port.
        if (endpoint.host.find_first_of(":[] \t") != std::string::npos) return std::nullopt;
        port_text = text.substr(colon + 1);
    }
    if (!detail::all_digits(port_text) || port_text.size() > 5) return std::nullopt;
    unsigned port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port > 65535) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

/// A YAML flow sequence of scalars (`[a, "b, c", 'd']`; `[]` is empty) or one plain
/// scalar (a list of one), as schema defaults and TestConfig::set_text write lists.
/// Nested sequences, mappings and escapes inside quotes are not lists of strings here.
inline std::optional<std::vector<std::string>> parse_list(std::string_view text) {
    text = detail::trim(text);
    std::vector<std::string> items;
    if (text.empty()) return items;  // YAML's null
    if (text.front() != '[') {
        if (text.find_first_of("[]{}") != std::string_view::npos) return std::nullopt;
        items.emplace_back(text);
        return items;
    }
    if (text.back() != ']') return std::nullopt;
    std::string_view rest = detail::trim(text.substr(1, text.size() - 2));
    while (!rest.empty()) {
        if (rest.front() == '"' || rest.front() == '\'') {
            const std::size_t close = rest.find(rest.front(), 1);
            if (close == std::string_view::npos) return std::nullopt;
            items.emplace_back(rest.substr(1, close - 1));
            rest = detail::trim(rest.substr(close + 1));
        } else {
            const std::size_t comma = rest.find(',');
            const std::string_view item = detail::trim(rest.substr(0, comma));
            if (item.empty() || item.find_first_of("[]{}\"'") != std::string_view::npos) {
                return std::nullopt;
            }
            items.emplace_back(item);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma);
        }
        if (rest.empty()) break;
        if (rest.front() != ',') return std::nullopt;
        rest = detail::trim(rest.substr(1));
        if (rest.empty()) return std::nullopt;  // a trailing comma
    }
    return items;
}

/// Parses one scalar's text as `key.type`, checking the key's `min`, `max` and
/// `choices` (forms above; boolean is true or false only, not yes/no/on/off, which
/// YAML 1.2 reads as text; a string_list scalar is a list of one). Messages name what
/// the key expects and quote what it got (a secret key's value is never quoted):
/// `expected a positive integer, got "twelve"`.
inline Parsed parse_scalar(const ConfigKey& key, std::string_view text) {
    const std::string got = key.secret ? "a secret value (not shown)" : quote(text);
    const auto mismatch = [&] { return Parsed{std::nullopt, expected_got(key, got)}; };
    switch (key.type) {
        case ValueType::string:
            if (key.choices.empty() ||
                std::find(key.choices.begin(), key.choices.end(), text) != key.choices.end()) {
                return Parsed{Value(std::string(text)), {}};
            }
            return mismatch();
        case ValueType::integer: {
            const auto value = parse_integer(text);
            if (!value || !detail::in_range(key, static_cast<long double>(*value))) {
                return mismatch();
            }
            return Parsed{Value(*value), {}};
        }
        case ValueType::number: {
            const auto value = parse_number(text);
            if (!value || !detail::in_range(key, static_cast<long double>(*value))) {
                return mismatch();
            }
            return Parsed{Value(*value), {}};
        }
        case ValueType::boolean:
            if (text == "true") return Parsed{Value(true), {}};
            if (text == "false") return Parsed{Value(false), {}};
            return mismatch();
        case ValueType::duration: {
            // Not a duration at all: say what one looks like; out of range: the range.
            const auto value = parse_duration(text);
            if (!value)
                return Parsed{std::nullopt,
                              "expected " + std::string(describe(key.type)) + ", got " + got};
            if (!detail::in_range(key, static_cast<long double>(value->count()))) return mismatch();
            return Parsed{Value(*value), {}};
        }
        case ValueType::size: {
            const auto value = parse_size(text);
            if (!value)
                return Parsed{std::nullopt,
                              "expected " + std::string(describe(key.type)) + ", got " + got};
            if (!detail::in_range(key, static_cast<long double>(*value))) return mismatch();
            return Parsed{Value(*value), {}};
        }
        case ValueType::endpoint:
            if (!parse_endpoint(text)) return mismatch();
            return Parsed{Value(std::string(text)), {}};
        case ValueType::string_list:
            return Parsed{Value(std::vector<std::string>{std::string(text)}), {}};
    }
    return mismatch();
}

/// The value of one YAML scalar written as text: a double-quoted scalar with its escapes
/// (`"a \"b\""` is a "b"; \\ \" \/ \n \t \r \b \f \0 \xXX \uXXXX), a
/// single-quoted one (`'it''s'` is it's), or plain text as it is, spaces around it
/// trimmed: what yaml-cpp hands the host for a value a user writes, so that a schema
/// default reads the way the same text would in a pipeline file. Nothing for a quoted
/// scalar that is not closed, or has text after its closing quote, or a bad escape.
inline std::optional<std::string> yaml_scalar(std::string_view text) {
    text = detail::trim(text);
    if (text.empty() || (text.front() != '"' && text.front() != '\'')) return std::string(text);
    const char quote_char = text.front();
    std::string out;
    std::size_t i = 1;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (quote_char == '\'') {
            if (c != '\'') {
                out += c;
            } else if (i + 1 < text.size() && text[i + 1] == '\'') {
                out += '\'';
                ++i;
            } else {
                break;
            }
            continue;
        }
        if (c == '"') break;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == text.size()) return std::nullopt;
        switch (text[i]) {
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case '/': out += '/'; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case '0': out += '\0'; break;
            case 'x':
            case 'u': {
                const std::size_t digits = text[i] == 'x' ? 2 : 4;
                if (i + digits >= text.size()) return std::nullopt;
                std::uint32_t code = 0;
                const auto [end, ec] =
                    std::from_chars(text.data() + i + 1, text.data() + i + 1 + digits, code, 16);
                if (ec != std::errc{} || end != text.data() + i + 1 + digits) return std::nullopt;
                if (code >= 0xD800 && code <= 0xDFFF) return std::nullopt;
                if (code < 0x80) {
                    out += static_cast<char>(code);
                } else if (code < 0x800) {
                    out += static_cast<char>(0xC0 | (code >> 6));
                    out += static_cast<char>(0x80 | (code & 0x3F));
                } else {
                    out += static_cast<char>(0xE0 | (code >> 12));
                    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
                    out += static_cast<char>(0x80 | (code & 0x3F));
                }
                i += digits;
                break;
            }
            default: return std::nullopt;
        }
    }
    if (i + 1 != text.size()) return std::nullopt;  // not closed, or text after it
    return out;
}

/// A schema default (`key.default_value`), parsed as the key's type: YAML text, as in a
/// pipeline file (a scalar's quotes go, see yaml_scalar: `fallback("\"***\"")` is the
/// string ***); a string_list default is a flow sequence (see parse_list).
inline Parsed parse_default(const ConfigKey& key) {
    if (!key.default_value) return Parsed{std::nullopt, "no default"};
    if (key.type != ValueType::string_list) {
        const auto scalar = yaml_scalar(*key.default_value);
        if (!scalar) {
            return Parsed{std::nullopt,
                          "expected one YAML scalar, got " + quote(*key.default_value)};
        }
        return parse_scalar(key, *scalar);
    }
    if (auto items = parse_list(*key.default_value)) return Parsed{Value(std::move(*items)), {}};
    return Parsed{std::nullopt, "expected a list of strings, got " + quote(*key.default_value)};
}

}  // namespace relay::sdk::values
