#include "record.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace relay::plugins::kafka {

namespace {

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What a room name never holds (the transports refuse them in a client's room too).
constexpr std::string_view kControlCharacters{
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
    33};

/// Nesting bound of a payload: deeper documents are not treated as JSON (and travel
/// as payload_text), so scanning never recurses without limit.
constexpr int kMaxDepth = 256;

void append_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (const auto byte = static_cast<unsigned char>(c); byte < 0x20) {
                    // The other control characters: a backslash, "u00" and two hex digits.
                    static constexpr std::string_view kHex = "0123456789abcdef";
                    out += "\\u00";
                    out += kHex[byte >> 4U];
                    out += kHex[byte & 0xFU];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// A strict JSON scanner over one text: validates values and decodes strings.
class Scanner {
public:
    explicit Scanner(std::string_view text) : s_(text) {}

    std::size_t pos() const { return pos_; }
    bool at_end() const { return pos_ >= s_.size(); }
    std::string_view slice(std::size_t from, std::size_t to) const {
        return s_.substr(from, to - from);
    }

    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool eat(char c) {
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        skip_ws();
        return pos_ < s_.size() && s_[pos_] == c;
    }

    /// Skips one value (after whitespace); false when it is not valid JSON.
    bool skip_value(int depth = 0) {
        skip_ws();
        if (pos_ >= s_.size() || depth > kMaxDepth) return false;
        switch (s_[pos_]) {
            case '{': {
                ++pos_;
                if (eat('}')) return true;
                do {
                    skip_ws();
                    if (!string(nullptr) || !eat(':') || !skip_value(depth + 1)) return false;
                } while (eat(','));
                return eat('}');
            }
            case '[': {
                ++pos_;
                if (eat(']')) return true;
                do {
                    if (!skip_value(depth + 1)) return false;
                } while (eat(','));
                return eat(']');
            }
            case '"': return string(nullptr);
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default: return number(nullptr);
        }
    }

    /// A string at the current position; decoded into `out` when given.
    bool string(std::string* out) {
        if (pos_ >= s_.size() || s_[pos_] != '"') return false;
        ++pos_;
        while (pos_ < s_.size()) {
            const char c = s_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                if (out) *out += c;
                continue;
            }
            if (pos_ >= s_.size()) return false;
            const char e = s_[pos_++];
            char plain = 0;
            switch (e) {
                case '"': plain = '"'; break;
                case '\\': plain = '\\'; break;
                case '/': plain = '/'; break;
                case 'b': plain = '\b'; break;
                case 'f': plain = '\f'; break;
                case 'n': plain = '\n'; break;
                case 'r': plain = '\r'; break;
                case 't': plain = '\t'; break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
                        std::uint32_t low = 0;
                        if (pos_ + 1 >= s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
                            return false;
                        }
                        pos_ += 2;
                        if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return false;
                    }
                    if (out) append_utf8(*out, cp);
                    continue;
                }
                default: return false;
            }
            if (out) *out += plain;
        }
        return false;
    }

    /// A JSON number; its value when it is an integer and `out` is given.
    bool number(std::int64_t* out) {
        const std::size_t start = pos_;
        if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size()) return false;
        if (s_[pos_] == '0') {
            ++pos_;
        } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
            while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
        } else {
            return false;
        }
        bool integral = true;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            integral = false;
            ++pos_;
            if (pos_ >= s_.size() || !is_digit(s_[pos_])) return false;
            while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (pos_ >= s_.size() || !is_digit(s_[pos_])) return false;
            while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
        }
        if (out) {
            if (!integral) return false;
            auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, *out);
            return ec == std::errc() && end == s_.data() + pos_;
        }
        return true;
    }

private:
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    bool hex4(std::uint32_t& value) {
        if (pos_ + 4 > s_.size()) return false;
        value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            value <<= 4;
            if (c >= '0' && c <= '9') {
                value |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                value |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                value |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

std::optional<sdk::Message> fail(std::string* error, std::string why) {
    if (error) *error = std::move(why);
    return std::nullopt;
}

}  // namespace

bool is_json(std::string_view text) {
    Scanner scan(text);
    if (!scan.skip_value()) return false;
    scan.skip_ws();
    return scan.at_end();
}

std::string encode_record(const sdk::Message& msg) {
    std::string out;
    std::size_t attachment_bytes = 0;
    for (const auto& a : msg.attachments) attachment_bytes += a.size() * 4 / 3 + 8;
    out.reserve(96 + msg.id.size() + msg.room.size() + msg.sender.size() + msg.user.size() +
                msg.payload_json.size() + attachment_bytes);
    out += "{\"id\":";
    append_string(out, msg.id);
    out += ",\"room\":";
    append_string(out, msg.room);
    out += ",\"ts\":";
    out += std::to_string(msg.ts_ms);
    out += ",\"sender\":";
    append_string(out, msg.sender);
    out += ",\"user\":";
    append_string(out, msg.user);
    if (is_json(msg.payload_json)) {
        out += ",\"payload\":";
        out += msg.payload_json;
    } else {
        out += ",\"payload_text\":";
        append_string(out, msg.payload_json);
    }
    if (!msg.attachments.empty()) {
        out += ",\"attachments\":[";
        for (std::size_t i = 0; i < msg.attachments.size(); ++i) {
            if (i > 0) out += ',';
            out += '"';
            out += base64_encode(msg.attachments[i]);
            out += '"';
        }
        out += ']';
    }
    out += '}';
    return out;
}

std::optional<sdk::Message> decode_record(std::string_view value, std::string* error) {
    Scanner scan(value);
    if (!scan.eat('{')) return fail(error, "not a JSON object");
    sdk::Message msg;
    bool has_id = false;
    bool has_room = false;
    bool has_payload = false;
    bool payload_is_object = false;
    if (!scan.eat('}')) {
        do {
            scan.skip_ws();
            std::string key;
            if (!scan.string(&key) || !scan.eat(':')) return fail(error, "malformed JSON");
            scan.skip_ws();
            bool ok = true;
            if (key == "id" && scan.peek('n')) {
                ok = scan.skip_value();  // null: no id, as when it is left out
            } else if (key == "id") {
                ok = scan.string(&msg.id);
                has_id = ok;
            } else if (key == "room") {
                ok = scan.string(&msg.room);
                has_room = ok;
            } else if (key == "sender") {
                ok = scan.string(&msg.sender);
            } else if (key == "user") {
                ok = scan.string(&msg.user);
            } else if (key == "ts") {
                ok = scan.number(&msg.ts_ms);
            } else if (key == "payload") {
                const std::size_t from = scan.pos();
                ok = scan.skip_value();
                if (ok) msg.payload_json = std::string(scan.slice(from, scan.pos()));
                has_payload = ok;
                payload_is_object = ok && value.at(from) == '{';
            } else if (key == "payload_text") {
                msg.payload_json.clear();
                ok = scan.string(&msg.payload_json);
                has_payload = ok;
                payload_is_object = false;
            } else if (key == "attachments") {
                ok = scan.eat('[');
                if (ok && !scan.eat(']')) {
                    do {
                        scan.skip_ws();
                        std::string text;
                        ok = scan.string(&text);
                        if (!ok) break;
                        auto bytes = base64_decode(text);
                        if (!bytes) return fail(error, "an attachment is not base64");
                        msg.attachments.push_back(std::move(*bytes));
                    } while (scan.eat(','));
                    ok = ok && scan.eat(']');
                }
            } else {
                ok = scan.skip_value();  // a field of a later version: ignored
            }
            if (!ok) return fail(error, "bad value of \"" + key + "\"");
        } while (scan.eat(','));
        if (!scan.eat('}')) return fail(error, "malformed JSON");
    }
    scan.skip_ws();
    if (!scan.at_end()) return fail(error, "text after the JSON object");
    if (!has_room) return fail(error, R"(no "room")");
    if (msg.room.empty()) return fail(error, R"(an empty "room")");
    if (msg.room.find_first_of(kControlCharacters) != std::string::npos) {
        return fail(error, R"(a control character in "room")");
    }
    // A record without an id is another service's (docs/kafka-ingestion.md): what it
    // sends clients must be a chat event's object, which every transport can deliver.
    if (!has_id && !payload_is_object) return fail(error, R"(no "id" and no "payload" object)");
    if (has_id && msg.id.empty()) return fail(error, R"(an empty "id")");
    if (!has_payload) msg.payload_json = "null";
    return msg;
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                                (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                                static_cast<std::uint8_t>(bytes[i + 2]);
        out += kBase64[(n >> 18) & 63];
        out += kBase64[(n >> 12) & 63];
        out += kBase64[(n >> 6) & 63];
        out += kBase64[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
        if (rest == 2) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
        out += kBase64[(n >> 18) & 63];
        out += kBase64[(n >> 12) & 63];
        out += rest == 2 ? kBase64[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    static const std::array<int, 256> kValues = [] {
        std::array<int, 256> values{};
        values.fill(-1);
        for (std::size_t i = 0; i < kBase64.size(); ++i) {
            values[static_cast<unsigned char>(kBase64[i])] = static_cast<int>(i);
        }
        return values;
    }();
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; ++j) {
            const char c = text[i + static_cast<std::size_t>(j)];
            if (c == '=' && last && j >= 2) {
                v[j] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            v[j] = kValues[static_cast<unsigned char>(c)];
            if (v[j] < 0) return std::nullopt;
        }
        const std::uint32_t n =
            (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out += static_cast<char>((n >> 16) & 0xFF);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(n & 0xFF);
    }
    return out;
}

}  // namespace relay::plugins::kafka
