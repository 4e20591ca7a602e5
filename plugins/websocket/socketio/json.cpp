#include "socketio/json.hpp"

#include "error_category.hpp"
#include "rfc6455/utf8.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace relay::plugins::websocket::socketio::json {
namespace {

// The message of each error (the tests pin them word for word).
const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::empty: return "invalid JSON: no value";
        case Errc::unexpected_character: return "invalid JSON: unexpected character";
        case Errc::unexpected_end: return "invalid JSON: unexpected end of text";
        case Errc::bad_string: return "invalid JSON: control character or bad escape in string";
        case Errc::bad_utf8: return "invalid JSON: string is not valid UTF-8";
        case Errc::bad_number: return "invalid JSON: malformed number";
        case Errc::trailing_characters: return "invalid JSON: characters after the value";
        case Errc::too_deep: return "invalid JSON: nested too deeply";
        case Errc::not_an_array: return "expected a JSON array";
        case Errc::not_an_object: return "expected a JSON object";
    }
    return "invalid JSON";
}

// Bytes that end the fast path inside a string: the quote, the backslash, control
// characters (invalid raw) and non-ASCII bytes (checked as UTF-8).
constexpr std::array<bool, 256> kStringStop = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = true;
    for (int c = 0x80; c < 0x100; ++c) t[c] = true;
    t['"'] = true;
    t['\\'] = true;
    return t;
}();

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// True when one of the 8 bytes of `v` would stop the fast path (see kStringStop).
constexpr bool has_stop_byte(std::uint64_t v) noexcept {
    const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
    const std::uint64_t below_space = (v - kOnes * 0x20) & ~v & kHighs;
    return ((v & kHighs) | below_space | has_zero(v ^ (kOnes * '"')) |
            has_zero(v ^ (kOnes * '\\'))) != 0;
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr bool is_ws(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

class Scanner {
public:
    Scanner(std::string_view text, const Limits& limits, Visitor* visitor) noexcept
        : p_(text.data()),
          end_(text.data() + text.size()),
          max_depth_(limits.max_depth),
          visitor_(visitor) {}

    // Parses the document: one value, whitespace around it.
    std::error_code document() {
        if (auto ec = start()) return ec;
        if (auto ec = value(0)) return ec;
        return finish();
    }

    std::error_code document_array(ElementList& out) {
        if (auto ec = start('[', Errc::not_an_array)) return ec;
        if (auto ec = array(1, &out)) return ec;
        return finish();
    }

    std::error_code document_object(MemberList& out) {
        if (auto ec = start('{', Errc::not_an_object)) return ec;
        if (auto ec = object(1, &out)) return ec;
        return finish();
    }

private:
    // Skips to the document's value; an error if there is none.
    std::error_code start() {
        skip_ws();
        return p_ == end_ ? Errc::empty : std::error_code{};
    }

    // The same, for a document that must be of one kind (opening with `open`).
    std::error_code start(char open, Errc kind) {
        if (auto ec = start()) return ec;
        return *p_ == open ? std::error_code{} : wrong_kind(kind);
    }

    // A document of another kind: its own error if it is not JSON at all.
    std::error_code wrong_kind(Errc kind) {
        if (auto ec = value(0)) return ec;
        if (auto ec = finish()) return ec;
        return kind;
    }

    std::error_code finish() {
        skip_ws();
        return p_ == end_ ? std::error_code{} : Errc::trailing_characters;
    }

    void skip_ws() noexcept {
        while (p_ != end_ && is_ws(*p_)) ++p_;
    }

    std::error_code value(std::uint32_t depth) {
        if (p_ == end_) return Errc::unexpected_end;
        switch (*p_) {
            case '"': return string();
            case '{': return object(depth + 1, nullptr);
            case '[': return array(depth + 1, nullptr);
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default:
                if (*p_ == '-' || is_digit(*p_)) return number();
                return Errc::unexpected_character;
        }
    }

    std::error_code array(std::uint32_t depth, ElementList* out) {
        if (depth > max_depth_) return Errc::too_deep;
        ++p_;  // '['
        skip_ws();
        if (p_ == end_) return Errc::unexpected_end;
        bool closed = *p_ == ']';
        while (!closed) {
            const char* begin = p_;
            if (auto ec = value(depth)) return ec;
            if (out) out->emplace_back(begin, static_cast<std::size_t>(p_ - begin));
            if (auto ec = after_item(']', closed)) return ec;
        }
        ++p_;  // ']'
        return {};
    }

    std::error_code object(std::uint32_t depth, MemberList* out) {
        if (depth > max_depth_) return Errc::too_deep;
        ++p_;  // '{'
        if (visitor_) visitor_->begin_object();
        skip_ws();
        if (p_ == end_) return Errc::unexpected_end;
        bool closed = *p_ == '}';
        while (!closed) {
            if (*p_ != '"') return Errc::unexpected_character;
            const char* key_begin = p_;
            if (auto ec = string()) return ec;
            const std::string_view key(key_begin, static_cast<std::size_t>(p_ - key_begin));
            skip_ws();
            if (p_ == end_) return Errc::unexpected_end;
            if (*p_ != ':') return Errc::unexpected_character;
            ++p_;
            skip_ws();
            const char* value_begin = p_;
            if (auto ec = value(depth)) return ec;
            const std::string_view val(value_begin, static_cast<std::size_t>(p_ - value_begin));
            if (out) {
                out->push_back(
                    Member{key, val,
                           std::string_view(key_begin, static_cast<std::size_t>(p_ - key_begin))});
            }
            if (visitor_) visitor_->member(key, val);
            if (auto ec = after_item('}', closed)) return ec;
        }
        ++p_;  // '}'
        if (visitor_) visitor_->end_object();
        return {};
    }

    // After an element or member: `closed` at the closing bracket `close` (not taken),
    // or past the comma, at the next item; an error if neither follows.
    std::error_code after_item(char close, bool& closed) {
        skip_ws();
        if (p_ == end_) return Errc::unexpected_end;
        closed = *p_ == close;
        if (closed) return {};
        if (*p_ != ',') return Errc::unexpected_character;
        ++p_;
        skip_ws();
        return p_ == end_ ? Errc::unexpected_end : std::error_code{};
    }

    std::error_code string() {
        ++p_;  // opening quote
        for (;;) {
            // Fast path: eight plain ASCII bytes at a time.
            while (end_ - p_ >= 8) {
                std::uint64_t word = 0;
                std::memcpy(&word, p_, sizeof word);
                if (has_stop_byte(word)) break;
                p_ += 8;
            }
            while (p_ != end_ && !kStringStop[static_cast<unsigned char>(*p_)]) ++p_;
            if (p_ == end_) return Errc::unexpected_end;
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                ++p_;
                return {};
            }
            if (c == '\\') {
                if (auto ec = escape()) return ec;
            } else if (c < 0x20) {
                return Errc::bad_string;
            } else if (auto ec = utf8_sequence()) {
                return ec;
            }
        }
    }

    std::error_code escape() {
        ++p_;  // backslash
        if (p_ == end_) return Errc::unexpected_end;
        switch (*p_) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't': ++p_; return {};
            case 'u':
                ++p_;
                for (int i = 0; i < 4; ++i, ++p_) {
                    if (p_ == end_) return Errc::unexpected_end;
                    if (hex_value(*p_) < 0) return Errc::bad_string;
                }
                return {};
            default: return Errc::bad_string;
        }
    }

    // One multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
    std::error_code utf8_sequence() {
        const auto length =
            rfc6455::utf8_sequence_length({p_, static_cast<std::size_t>(end_ - p_)});
        if (length == 0) return Errc::bad_utf8;
        p_ += length;
        return {};
    }

    std::error_code number() {
        if (*p_ == '-') {
            ++p_;
            if (p_ == end_) return Errc::bad_number;
        }
        if (*p_ == '0') {
            ++p_;
            if (p_ != end_ && is_digit(*p_)) return Errc::bad_number;  // leading zero
        } else if (is_digit(*p_)) {
            while (p_ != end_ && is_digit(*p_)) ++p_;
        } else {
            return Errc::bad_number;
        }
        if (p_ != end_ && *p_ == '.') {
            ++p_;
            if (p_ == end_ || !is_digit(*p_)) return Errc::bad_number;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_ || !is_digit(*p_)) return Errc::bad_number;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        return {};
    }

    std::error_code literal(std::string_view word) {
        const auto left = static_cast<std::size_t>(end_ - p_);
        if (left < word.size()) {
            return std::string_view(p_, left) == word.substr(0, left) ? Errc::unexpected_end
                                                                      : Errc::unexpected_character;
        }
        if (std::string_view(p_, word.size()) != word) return Errc::unexpected_character;
        p_ += word.size();
        return {};
    }

    const char* p_;
    const char* end_;
    std::uint32_t max_depth_;
    Visitor* visitor_;
};

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::uint32_t read_hex4(const char* p) noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 4) | static_cast<std::uint32_t>(hex_value(p[i]));
    return v;
}

// How JSON.stringify writes each byte: 0 verbatim, otherwise the escape's length.
constexpr std::array<std::uint8_t, 256> kEscapeLength = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 6;  // \u00xx
    t['\b'] = t['\f'] = t['\n'] = t['\r'] = t['\t'] = 2;
    t['"'] = t['\\'] = 2;
    return t;
}();

// The index of the first byte at or after `i` that JSON.stringify escapes (quote,
// backslash, control character), or s.size(). Eight bytes at a time.
std::size_t next_escape(std::string_view s, std::size_t i) noexcept {
    while (s.size() - i >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, s.data() + i, sizeof word);
        const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHighs; };
        const std::uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
        if ((below_space | has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\'))) != 0) {
            break;
        }
        i += 8;
    }
    while (i < s.size() && kEscapeLength[static_cast<unsigned char>(s[i])] == 0) ++i;
    return i;
}

}  // namespace

const std::error_category& json_category() noexcept {
    static const EnumErrorCategory<Errc> category("relay.websocket.json", describe);
    return category;
}

Kind kind_of(std::string_view validated) noexcept {
    switch (validated.empty() ? 'n' : validated.front()) {
        case '{': return Kind::object;
        case '[': return Kind::array;
        case '"': return Kind::string;
        case 't':
        case 'f': return Kind::boolean;
        case 'n': return Kind::null;
        default: return Kind::number;
    }
}

std::error_code validate(std::string_view text, const Limits& limits) {
    return Scanner(text, limits, nullptr).document();
}

std::error_code parse_array(std::string_view text, ElementList& out, const Limits& limits) {
    return Scanner(text, limits, nullptr).document_array(out);
}

std::error_code parse_object(std::string_view text, MemberList& out, const Limits& limits) {
    return Scanner(text, limits, nullptr).document_object(out);
}

std::error_code walk(std::string_view text, Visitor& visitor, const Limits& limits) {
    return Scanner(text, limits, &visitor).document();
}

bool string_equals(std::string_view token, std::string_view plain) {
    if (token.size() < 2) return false;
    const std::string_view inner = token.substr(1, token.size() - 2);
    if (inner.size() == plain.size() && inner == plain) return true;
    // An escape can only make the token longer than what it denotes.
    if (inner.size() <= plain.size() || inner.find('\\') == std::string_view::npos) return false;
    return unescape(token) == plain;
}

std::string unescape(std::string_view token) {
    std::string out;
    if (token.size() < 2) return out;
    const std::string_view inner = token.substr(1, token.size() - 2);
    out.reserve(inner.size());
    for (std::size_t i = 0; i < inner.size(); ++i) {
        const char c = inner[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        const char e = inner[++i];
        switch (e) {
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                std::uint32_t cp = read_hex4(inner.data() + i + 1);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < inner.size() && inner[i + 1] == '\\' &&
                    inner[i + 2] == 'u') {
                    const std::uint32_t low = read_hex4(inner.data() + i + 3);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                append_utf8(out, cp);
                break;
            }
            default: out.push_back(e); break;  // '"' '\\' '/'
        }
    }
    return out;
}

void append_uint(std::string& out, std::uint64_t v) {
    std::array<char, 20> digits{};  // 2^64 - 1 has 20
    auto* const end = std::to_chars(digits.data(), digits.data() + digits.size(), v).ptr;
    out.append(digits.data(), end);
}

std::size_t quoted_size(std::string_view s) noexcept {
    std::size_t n = s.size() + 2;
    std::size_t i = next_escape(s, 0);
    for (; i < s.size(); ++i) {
        const auto len = kEscapeLength[static_cast<unsigned char>(s[i])];
        if (len != 0) n += len - 1;
    }
    return n;
}

void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the pending verbatim run
    for (std::size_t i = next_escape(s, 0); i < s.size(); i = next_escape(s, i)) {
        const auto c = static_cast<unsigned char>(s[i]);
        out.append(s.data() + run, i - run);
        run = ++i;
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default: {
                const std::array<char, 6> esc = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                out.append(esc.data(), esc.size());
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

}  // namespace relay::plugins::websocket::socketio::json
