#include "config/value_parsing.hpp"

#include "config/suggest.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace relay::host {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) {
        if (!text.empty()) text += ", ";
        text += item;
    }
    return text;
}

std::string got_text(const sdk::ConfigKey& key, std::string_view text) {
    if (key.secret) return "a secret value (not shown)";
    return quote(text);
}

Parsed fail(std::string message) {
    return Parsed{std::nullopt, std::move(message)};
}

std::string range_text(const sdk::ConfigKey& key) {
    if (key.min && key.max) {
        return "from " + std::to_string(*key.min) + " to " + std::to_string(*key.max);
    }
    if (key.min) return "of at least " + std::to_string(*key.min);
    if (key.max) return "of at most " + std::to_string(*key.max);
    return {};
}

bool in_range(const sdk::ConfigKey& key, long double value) {
    if (key.min && value < static_cast<long double>(*key.min)) return false;
    if (key.max && value > static_cast<long double>(*key.max)) return false;
    return true;
}

}  // namespace

std::string quote(std::string_view text) {
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

std::string expectation(const sdk::ConfigKey& key) {
    switch (key.type) {
        case sdk::ValueType::string:
            if (!key.choices.empty()) return "one of " + join(key.choices);
            return "a string";
        case sdk::ValueType::integer:
            if (key.min && !key.max && *key.min == 1) return "a positive integer";
            if (key.min && !key.max && *key.min == 0) return "a non-negative integer";
            if (key.min || key.max) return "an integer " + range_text(key);
            return "an integer";
        case sdk::ValueType::number:
            if (key.min || key.max) return "a number " + range_text(key);
            return "a number";
        default: return std::string(sdk::describe(key.type));
    }
}

std::string expected_got(const sdk::ConfigKey& key, std::string_view got) {
    return "expected " + expectation(key) + ", got " + std::string(got);
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const std::string_view digits = (!text.empty() && text.front() == '-') ? text.substr(1) : text;
    if (!all_digits(digits)) return std::nullopt;
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> parse_number(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() || (!is_digit(text.front()) && text.front() != '-' && text.front() != '.')) {
        return std::nullopt;  // from_chars would also take "inf" and "nan"
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text == "0") return std::chrono::milliseconds(0);
    std::size_t end = 0;
    while (end < text.size() && (is_digit(text[end]) || text[end] == '.')) ++end;
    const std::string_view number = text.substr(0, end);
    const std::string_view unit = text.substr(end);
    const std::size_t dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    if (!all_digits(whole)) return std::nullopt;
    if (dot != std::string_view::npos && !all_digits(number.substr(dot + 1))) return std::nullopt;

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

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && is_digit(text[end])) ++end;
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
    if (!all_digits(number)) return std::nullopt;
    std::uint64_t count = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (ec != std::errc{} || ptr != number.data() + number.size()) return std::nullopt;
    for (const auto& candidate : kUnits) {
        if (candidate.name != unit) continue;
        if (count > std::numeric_limits<std::uint64_t>::max() / candidate.bytes)
            return std::nullopt;
        return count * candidate.bytes;
    }
    return std::nullopt;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
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
    if (!all_digits(port_text) || port_text.size() > 5) return std::nullopt;
    unsigned port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port > 65535) return std::nullopt;
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

Parsed parse_scalar(const sdk::ConfigKey& key, std::string_view text) {
    const auto mismatch = [&] { return fail(expected_got(key, got_text(key, text))); };
    switch (key.type) {
        case sdk::ValueType::string: {
            if (key.choices.empty()) return Parsed{Value(std::string(text)), {}};
            for (const auto& choice : key.choices) {
                if (choice == text) return Parsed{Value(std::string(text)), {}};
            }
            Parsed parsed = mismatch();
            if (const auto hint = suggest(text, key.choices); hint && !key.secret) {
                parsed.error += "; did you mean '" + *hint + "'?";
            }
            return parsed;
        }
        case sdk::ValueType::integer: {
            const auto value = parse_integer(text);
            if (!value || !in_range(key, static_cast<long double>(*value))) return mismatch();
            return Parsed{Value(*value), {}};
        }
        case sdk::ValueType::number: {
            const auto value = parse_number(text);
            if (!value || !in_range(key, static_cast<long double>(*value))) return mismatch();
            return Parsed{Value(*value), {}};
        }
        case sdk::ValueType::boolean:
            if (text == "true") return Parsed{Value(true), {}};
            if (text == "false") return Parsed{Value(false), {}};
            return mismatch();
        case sdk::ValueType::duration: {
            const auto value = parse_duration(text);
            if (!value) return mismatch();
            return Parsed{Value(*value), {}};
        }
        case sdk::ValueType::size: {
            const auto value = parse_size(text);
            if (!value) return mismatch();
            if (!in_range(key, static_cast<long double>(*value))) {
                return fail("expected a size " + range_text(key) + " bytes, got " +
                            got_text(key, text));
            }
            return Parsed{Value(*value), {}};
        }
        case sdk::ValueType::endpoint:
            if (!parse_endpoint(text)) return mismatch();
            return Parsed{Value(std::string(text)), {}};
        case sdk::ValueType::string_list:
            return Parsed{Value(std::vector<std::string>{std::string(text)}), {}};
    }
    return mismatch();
}

}  // namespace relay::host
