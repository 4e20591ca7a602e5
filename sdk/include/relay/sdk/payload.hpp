#pragma once
/// Reading and changing a message's payload (`Message::payload_json`, one JSON object)
/// field by field, without re-serialising it.
///
/// A processor that wants to read `text`, mask it, add a `lang` field or drop a
/// `debug` field does not need a JSON library: PayloadEditor finds the top-level
/// members once, with a strict scanner, and each edit splices only the value it
/// changes. Every byte it does not touch stays as the client sent it (spacing, number
/// spelling, escapes, key order), and the cost is one scan plus the splices, not a
/// parse into a tree and a dump of it.
///
///     void process(sdk::Message& msg, sdk::VerdictDone done) override {
///         sdk::PayloadEditor payload(msg.payload_json);
///         if (!payload.ok()) return done(sdk::Verdict::reject("payload is not an object"));
///         if (auto text = payload.string("text")) payload.set_string("text", mask(*text));
///         payload.remove("debug");
///         done(sdk::Verdict::accept());
///     }
///
/// What it scans is RFC 8259 JSON, strictly: one object, optionally surrounded by
/// whitespace; strings of valid UTF-8 without raw control characters; numbers in the
/// RFC's grammar; nesting at most kPayloadMaxDepth. Escaped lone surrogates
/// (`"\ud800"`) are accepted, as JavaScript's JSON.parse (and the websocket transport)
/// accepts them. Header-only; needs nothing but the standard library. Nothing throws
/// except std::bad_alloc.
#include <relay/sdk/message.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace relay::sdk {

/// How deeply arrays and objects may nest in a payload (the top-level object is 1).
inline constexpr std::size_t kPayloadMaxDepth = 256;

/// Why a payload, or a value given to a PayloadEditor, was refused.
enum class PayloadErrc {
    invalid_json = 1,  ///< the text is not one valid JSON value
    not_an_object,     ///< valid JSON, but not an object
    too_deep,          ///< arrays and objects nested deeper than kPayloadMaxDepth
    invalid_value,     ///< a set_*() value that JSON cannot hold (NaN, text not UTF-8)
};

const std::error_category& payload_category() noexcept;

inline std::error_code make_error_code(PayloadErrc e) noexcept {
    return {static_cast<int>(e), payload_category()};
}

/// The binary placeholders of a payload: the objects `{"_placeholder":true,"num":N}`
/// (at any depth) that stand for the message's attachments, as Socket.IO writes them.
/// The transport puts one wherever the client's data held binary, and `num` indexes
/// `Message::attachments`.
struct Placeholders {
    std::vector<std::uint64_t> nums;  ///< each well-formed placeholder's N, in text order
    /// Objects with `"_placeholder":true` but no `num` that is a whole number >= 0.
    std::size_t malformed = 0;
};

/// The JSON text of the placeholder for attachment `num`, to set as a value when a
/// processor adds an attachment: `{"_placeholder":true,"num":3}`.
inline std::string placeholder_json(std::uint64_t num) {
    return "{\"_placeholder\":true,\"num\":" + std::to_string(num) + "}";
}

namespace payload_detail {

/// A strict RFC 8259 scanner over one text. Each function scans one construct starting
/// at `pos` and leaves `pos` after it; on failure it records the first error and
/// returns false.
class Scanner {
public:
    /// One member of the object scanned with `members` set: offsets into the text.
    struct Member {
        std::size_t key_begin, key_end;      ///< the key token, quotes included
        std::size_t value_begin, value_end;  ///< the value's JSON text
    };

    explicit Scanner(std::string_view text) : text_(text) {}

    std::string_view text() const noexcept { return text_; }
    std::size_t pos() const noexcept { return pos_; }
    PayloadErrc error() const noexcept { return error_; }
    std::size_t error_at() const noexcept { return error_at_; }
    const char* why() const noexcept { return why_; }

    /// Collect the placeholders of every object scanned from now on.
    void collect(Placeholders* into) noexcept { placeholders_ = into; }

    void skip_whitespace() noexcept {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool at_end() const noexcept { return pos_ == text_.size(); }
    char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    /// Exactly one value, with nothing but whitespace around it, inside `depth`
    /// containers.
    bool whole_value(std::size_t depth = 0) {
        skip_whitespace();
        if (at_end()) return fail("there is no value, only whitespace or nothing");
        if (!value(depth)) return false;
        skip_whitespace();
        return at_end() || fail("something follows the value");
    }

    /// One value of any kind, at nesting `depth` (its container's).
    bool value(std::size_t depth) {
        switch (peek()) {
            case '{': return object(depth + 1, nullptr);
            case '[': return array(depth + 1);
            case '"': return string();
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default:
                if (peek() == '-' || is_digit(peek())) return number();
                return fail(at_end() ? "the text ends where a value should be"
                                     : "a value cannot start with this character");
        }
    }

    /// An object at nesting `depth`; its members' offsets go to `members` if given.
    bool object(std::size_t depth, std::vector<Member>* members) {
        if (depth > kPayloadMaxDepth) return fail("nested too deeply", PayloadErrc::too_deep);
        ++pos_;  // '{'
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        bool placeholder = false;
        std::optional<std::uint64_t> num;
        for (;;) {
            skip_whitespace();
            if (peek() != '"') return fail("expected a member's key (a string)");
            const std::size_t key_begin = pos_;
            if (!string()) return false;
            const std::size_t key_end = pos_;
            skip_whitespace();
            if (peek() != ':') return fail("expected ':' after a member's key");
            ++pos_;
            skip_whitespace();
            const std::size_t value_begin = pos_;
            if (!value(depth)) return false;
            if (members) members->push_back({key_begin, key_end, value_begin, pos_});
            if (placeholders_) {
                const std::string_view key = text_.substr(key_begin, key_end - key_begin);
                const std::string_view val = text_.substr(value_begin, pos_ - value_begin);
                if (token_equals(key, "_placeholder")) placeholder = val == "true";
                if (token_equals(key, "num")) num = whole_number(val);
            }
            skip_whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                break;
            }
            return fail("expected ',' or '}' after a member");
        }
        if (placeholders_ && placeholder) {
            if (num) {
                placeholders_->nums.push_back(*num);
            } else {
                ++placeholders_->malformed;
            }
        }
        return true;
    }

    /// The raw string token `token` (quotes included, already scanned) denotes `plain`.
    static bool token_equals(std::string_view token, std::string_view plain) {
        const std::string_view inner = token.substr(1, token.size() - 2);
        if (inner.find('\\') == std::string_view::npos) return inner == plain;
        return decode(token) == plain;
    }

    /// The UTF-8 text of a scanned string token. A lone surrogate, which UTF-8 cannot
    /// carry, becomes U+FFFD.
    static std::string decode(std::string_view token) {
        std::string out;
        out.reserve(token.size());
        for (std::size_t i = 1; i + 1 < token.size(); ++i) {
            const char c = token[i];
            if (c != '\\') {
                out += c;
                continue;
            }
            const char e = token[++i];
            switch (e) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t code = hex4(token.substr(i + 1, 4));
                    i += 4;
                    if (code >= 0xD800 && code <= 0xDBFF && i + 6 < token.size() &&
                        token[i + 1] == '\\' && token[i + 2] == 'u') {
                        const std::uint32_t low = hex4(token.substr(i + 3, 4));
                        if (low >= 0xDC00 && low <= 0xDFFF) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            i += 6;
                        }
                    }
                    if (code >= 0xD800 && code <= 0xDFFF) code = 0xFFFD;
                    append_utf8(out, code);
                    break;
                }
                default: out += e;  // " \ /
            }
        }
        return out;
    }

    /// `text` as a JSON number that is a whole number >= 0 fitting 64 bits (how the
    /// host reads a placeholder's `num`); nothing otherwise.
    static std::optional<std::uint64_t> whole_number(std::string_view text) {
        if (text.empty() || !is_digit(text.front())) return std::nullopt;
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
        return value;
    }

    /// Whether `text` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates).
    static bool valid_utf8(std::string_view text) noexcept {
        for (std::size_t i = 0; i < text.size();) {
            const std::size_t length = utf8_length(text, i);
            if (length == 0) return false;
            i += length;
        }
        return true;
    }

    /// The length of the UTF-8 sequence at `text[i]`, or 0 when it is not one.
    static std::size_t utf8_length(std::string_view text, std::size_t i) noexcept {
        const auto byte = [&](std::size_t k) {
            return k < text.size() ? static_cast<unsigned char>(text[k]) : 0U;
        };
        const unsigned lead = byte(i);
        const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
            return byte(k) >= lo && byte(k) <= hi;
        };
        if (lead < 0x80) return 1;
        if (lead >= 0xC2 && lead <= 0xDF) return cont(i + 1) ? 2 : 0;
        if (lead == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
        if (lead == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
        if (lead >= 0xE1 && lead <= 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
        if (lead == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        if (lead == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        if (lead >= 0xF1 && lead <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        return 0;
    }

private:
    static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
    static int hex_digit(char c) noexcept {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    static std::uint32_t hex4(std::string_view four) noexcept {
        std::uint32_t code = 0;
        for (const char c : four) code = code * 16 + static_cast<std::uint32_t>(hex_digit(c));
        return code;
    }
    static void append_utf8(std::string& out, std::uint32_t code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    bool fail(const char* why, PayloadErrc error = PayloadErrc::invalid_json) noexcept {
        if (why_ == nullptr) {
            why_ = why;
            error_ = error;
            error_at_ = pos_;
        }
        return false;
    }

    bool array(std::size_t depth) {
        if (depth > kPayloadMaxDepth) return fail("nested too deeply", PayloadErrc::too_deep);
        ++pos_;  // '['
        skip_whitespace();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            skip_whitespace();
            if (!value(depth)) return false;
            skip_whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']' after an element");
        }
    }

    bool string() {
        ++pos_;  // '"'
        while (pos_ < text_.size()) {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c < 0x20) return fail("a string holds a raw control character (escape it)");
            if (c == '\\') {
                const char e = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
                if (e == 'u') {
                    for (std::size_t k = 2; k < 6; ++k) {
                        if (pos_ + k >= text_.size() || hex_digit(text_[pos_ + k]) < 0) {
                            return fail("\\u takes four hexadecimal digits");
                        }
                    }
                    pos_ += 6;
                    continue;
                }
                if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                    e != 'r' && e != 't') {
                    return fail("a string holds an unknown escape");
                }
                pos_ += 2;
                continue;
            }
            const std::size_t length = utf8_length(text_, pos_);
            if (length == 0) return fail("a string holds bytes that are not UTF-8");
            pos_ += length;
        }
        return fail("the text ends inside a string");
    }

    bool number() {
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (is_digit(peek())) {
            while (is_digit(peek())) ++pos_;
        } else {
            return fail("a number needs a digit after '-'");
        }
        if (peek() == '.') {
            ++pos_;
            if (!is_digit(peek())) return fail("a number needs a digit after '.'");
            while (is_digit(peek())) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!is_digit(peek())) return fail("a number needs a digit in its exponent");
            while (is_digit(peek())) ++pos_;
        }
        if (is_digit(peek())) return fail("a number cannot have a leading zero");
        return true;
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return fail("a value cannot start with this character");
        }
        pos_ += word.size();
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    const char* why_ = nullptr;
    PayloadErrc error_ = PayloadErrc::invalid_json;
    std::size_t error_at_ = 0;
    Placeholders* placeholders_ = nullptr;
};

/// `text` as a JSON string token, escaped as JavaScript's JSON.stringify escapes it:
/// `"`, `\` and control characters (\b \f \n \r \t, the others as \u00XX).
inline std::string quote(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += kHex[(c >> 4) & 0xF];
                    out += kHex[c & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

class PayloadCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "relay.payload"; }
    std::string message(int value) const override {
        switch (static_cast<PayloadErrc>(value)) {
            case PayloadErrc::invalid_json: return "the payload is not valid JSON";
            case PayloadErrc::not_an_object: return "the payload is not a JSON object";
            case PayloadErrc::too_deep: return "the payload is nested too deeply";
            case PayloadErrc::invalid_value: return "the value is not valid JSON";
        }
        return "unknown payload error";
    }
};

}  // namespace payload_detail

inline const std::error_category& payload_category() noexcept {
    static const payload_detail::PayloadCategory category;
    return category;
}

/// Reads and edits the top-level members of a payload held in a std::string, in place.
///
/// The constructor scans the text once (strictly, see the file comment); ok() says
/// whether it is one JSON object, and error()/error_detail() why not (nothing else may
/// be called then but text()). Each set_*() and remove() changes the text at once by
/// splicing: what it does not touch keeps its bytes. A new member is appended at the
/// end as `"key":value`, without spaces.
///
/// Keys are compared after unescaping (`"te\u0078t"` is `text`). A key may occur twice
/// in JSON text; as JSON.parse (and so a JavaScript client) reads such an object, the
/// last occurrence is the member's value: the getters read it, set_*() replaces it and
/// drops the earlier ones, remove() removes all of them.
///
/// Ownership and threads: it refers to `payload` (edit a message's `payload_json`
/// while the message is yours, in Processor::process) and must not outlive it; nothing
/// else may change `payload` while an editor is in use. Not thread-safe; cheap to make.
class PayloadEditor {
public:
    explicit PayloadEditor(std::string& payload) : text_(payload) { scan(); }

    /// True when the payload is one JSON object.
    bool ok() const noexcept { return !error_; }
    /// Why it is not: PayloadErrc::invalid_json, not_an_object or too_deep.
    std::error_code error() const noexcept { return error_; }
    /// For a log line: "invalid JSON at byte 12: expected ':' after a member's key".
    const std::string& error_detail() const noexcept { return detail_; }

    /// The payload's text as it is now.
    std::string_view text() const noexcept { return text_; }

    /// How many members the object has (a key written twice counts twice).
    std::size_t size() const noexcept { return members_.size(); }
    bool has(std::string_view key) const { return find(key) != kNone; }
    /// Every key, unescaped, in text order (a key written twice appears twice).
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        out.reserve(members_.size());
        for (const auto& m : members_) out.push_back(Scanner::decode(key_token(m)));
        return out;
    }

    /// The member's value as JSON text (`"hi"`, `42`, `{"a":[1]}`), as written.
    std::optional<std::string_view> json(std::string_view key) const {
        const std::size_t i = find(key);
        if (i == kNone) return std::nullopt;
        return value_text(members_[i]);
    }
    /// The member's value when it is a string, unescaped.
    std::optional<std::string> string(std::string_view key) const {
        const auto value = json(key);
        if (!value || value->front() != '"') return std::nullopt;
        return Scanner::decode(*value);
    }
    /// The member's value when it is a number written as an integer that fits 64 bits
    /// (`42`, `-7`; not `4.2`, `1e3`).
    std::optional<std::int64_t> integer(std::string_view key) const {
        const auto value = json(key);
        if (!value) return std::nullopt;
        std::int64_t number = 0;
        const auto [end, ec] =
            std::from_chars(value->data(), value->data() + value->size(), number);
        if (ec != std::errc{} || end != value->data() + value->size()) return std::nullopt;
        return number;
    }
    /// The member's value when it is a number (any JSON number, as the nearest double).
    std::optional<double> number(std::string_view key) const {
        const auto value = json(key);
        if (!value || (value->front() != '-' && (value->front() < '0' || value->front() > '9'))) {
            return std::nullopt;
        }
        double number = 0;
        const auto [end, ec] =
            std::from_chars(value->data(), value->data() + value->size(), number);
        if (ec == std::errc::result_out_of_range) {
            return value->front() == '-' ? -HUGE_VAL : HUGE_VAL;  // 1e999: beyond double
        }
        if (ec != std::errc{} || end != value->data() + value->size()) return std::nullopt;
        return number;
    }
    /// The member's value when it is `true` or `false`.
    std::optional<bool> boolean(std::string_view key) const {
        const auto value = json(key);
        if (value == "true") return true;
        if (value == "false") return false;
        return std::nullopt;
    }
    /// True when the member is present and `null`.
    bool is_null(std::string_view key) const { return json(key) == "null"; }

    /// Sets the member to `value`, JSON text (`"hi"`, `[1,2]`, `{"a":null}`), which must
    /// be exactly one valid JSON value: otherwise nothing changes and the answer is
    /// PayloadErrc::invalid_value (or too_deep). Empty: done.
    std::error_code set_json(std::string_view key, std::string_view value) {
        if (!ok()) return error_;
        Scanner check(value);
        if (!check.whole_value(/*depth=*/1)) {  // as a member of the top-level object
            return make_error_code(check.error() == PayloadErrc::too_deep
                                       ? PayloadErrc::too_deep
                                       : PayloadErrc::invalid_value);
        }
        put(key, trim(value));
        return {};
    }
    /// Sets the member to the string `value` (UTF-8), escaped as JSON.stringify does.
    /// Text that is not valid UTF-8 is refused with PayloadErrc::invalid_value.
    std::error_code set_string(std::string_view key, std::string_view value) {
        if (!ok()) return error_;
        if (!Scanner::valid_utf8(value)) return make_error_code(PayloadErrc::invalid_value);
        put(key, payload_detail::quote(value));
        return {};
    }
    std::error_code set_integer(std::string_view key, std::int64_t value) {
        if (!ok()) return error_;
        put(key, std::to_string(value));
        return {};
    }
    /// The shortest text that reads back as `value`; NaN and infinities, which JSON
    /// cannot hold, are refused with PayloadErrc::invalid_value.
    std::error_code set_number(std::string_view key, double value) {
        if (!ok()) return error_;
        if (!std::isfinite(value)) return make_error_code(PayloadErrc::invalid_value);
        char buffer[32];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
        if (ec != std::errc{}) return make_error_code(PayloadErrc::invalid_value);
        put(key, std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
        return {};
    }
    std::error_code set_boolean(std::string_view key, bool value) {
        if (!ok()) return error_;
        put(key, value ? "true" : "false");
        return {};
    }
    std::error_code set_null(std::string_view key) {
        if (!ok()) return error_;
        put(key, "null");
        return {};
    }

    /// Removes the member (every occurrence of its key), with its comma. True when it
    /// was there.
    bool remove(std::string_view key) {
        if (!ok()) return false;
        bool removed = false;
        for (std::size_t i = members_.size(); i-- > 0;) {
            if (Scanner::token_equals(key_token(members_[i]), key)) {
                erase(i);
                removed = true;
            }
        }
        return removed;
    }

    /// The binary placeholders anywhere in the payload as it is now (see Placeholders).
    Placeholders placeholders() const {
        Placeholders found;
        if (!ok()) return found;
        Scanner scanner(text_);
        scanner.collect(&found);
        scanner.whole_value();
        return found;
    }

private:
    using Scanner = payload_detail::Scanner;
    using Member = Scanner::Member;
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    static std::string_view trim(std::string_view s) noexcept {
        const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
        while (!s.empty() && space(s.front())) s.remove_prefix(1);
        while (!s.empty() && space(s.back())) s.remove_suffix(1);
        return s;
    }

    void scan() {
        Scanner scanner(text_);
        scanner.skip_whitespace();
        if (scanner.peek() == '{' && scanner.object(1, &members_)) {
            close_ = scanner.pos() - 1;
            scanner.skip_whitespace();
            if (scanner.at_end()) return;
        }
        members_.clear();
        // Scanned again as any value: says whether it is JSON at all, and where not.
        Scanner whole(text_);
        if (whole.whole_value()) {
            error_ = make_error_code(PayloadErrc::not_an_object);
            detail_ = "the payload is not a JSON object";
            return;
        }
        error_ = make_error_code(whole.error());
        detail_ = "invalid JSON at byte " + std::to_string(whole.error_at()) + ": " + whole.why();
    }

    std::string_view key_token(const Member& m) const noexcept {
        return std::string_view(text_).substr(m.key_begin, m.key_end - m.key_begin);
    }
    std::string_view value_text(const Member& m) const noexcept {
        return std::string_view(text_).substr(m.value_begin, m.value_end - m.value_begin);
    }

    std::size_t find(std::string_view key) const {
        if (!ok()) return kNone;
        for (std::size_t i = members_.size(); i-- > 0;) {
            if (Scanner::token_equals(key_token(members_[i]), key)) return i;
        }
        return kNone;
    }

    /// Replaces text [begin, end) with `with`, moving every offset at or after `end`.
    void splice(std::size_t begin, std::size_t end, std::string_view with) {
        text_.replace(begin, end - begin, with);
        const auto shift = [&](std::size_t& offset) {
            if (offset >= end) offset = offset - end + begin + with.size();
        };
        for (auto& m : members_) {
            shift(m.key_begin);
            shift(m.key_end);
            shift(m.value_begin);
            shift(m.value_end);
        }
        shift(close_);
    }

    /// Sets `key` to the valid JSON text `value`.
    void put(std::string_view key, std::string_view value) {
        const std::size_t last = find(key);
        if (last == kNone) {
            // Appended after the last member; into an empty object, in place of the
            // whitespace between its braces. Every other offset is before it.
            const std::size_t at =
                members_.empty() ? text_.find('{') + 1 : members_.back().value_end;
            std::string member = members_.empty() ? "" : ",";
            const std::size_t key_begin = at + member.size();
            member += payload_detail::quote(key);
            const std::size_t key_end = at + member.size();
            member += ':';
            member += value;
            text_.replace(at, members_.empty() ? close_ - at : 0, member);
            close_ = members_.empty() ? at + member.size() : close_ + member.size();
            members_.push_back({key_begin, key_end, key_end + 1, key_end + 1 + value.size()});
            return;
        }
        Member& m = members_[last];
        splice(m.value_begin, m.value_end, value);
        for (std::size_t i = last; i-- > 0;) {
            if (Scanner::token_equals(key_token(members_[i]), key)) erase(i);
        }
    }

    /// Removes member `i` and the comma that joined it to a neighbour.
    void erase(std::size_t i) {
        const Member m = members_[i];
        if (members_.size() == 1) {
            splice(m.key_begin, m.value_end, {});
        } else if (i + 1 < members_.size()) {
            splice(m.key_begin, members_[i + 1].key_begin, {});
        } else {
            splice(members_[i - 1].value_end, m.value_end, {});
        }
        members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
    }

    std::string& text_;
    std::vector<Member> members_;
    std::size_t close_ = 0;  ///< offset of the object's closing brace
    std::error_code error_;
    std::string detail_;
};

/// What the host checks of a message after its processors ran (and what
/// ProcessorContract checks): the payload is one JSON object, and every binary
/// placeholder in it names one of `attachments` (N < attachments). Empty when it
/// holds, else the reason, in the words of the sender's error ack.
inline std::string processed_payload_problem(std::string_view payload_json,
                                             std::size_t attachments) {
    Placeholders found;
    payload_detail::Scanner scanner(payload_json);
    scanner.collect(&found);
    scanner.skip_whitespace();
    const bool object = scanner.peek() == '{';
    if (!scanner.whole_value()) return "a processor made the payload invalid JSON";
    if (!object) return "a processor made the payload something other than a JSON object";
    if (found.malformed > 0) return "a processor left a binary placeholder without its attachment";
    for (const std::uint64_t num : found.nums) {
        if (num >= attachments) {
            return "a processor left a binary placeholder without its attachment";
        }
    }
    return {};
}

}  // namespace relay::sdk

template <>
struct std::is_error_code_enum<relay::sdk::PayloadErrc> : std::true_type {};
