#include "socketio/auth.hpp"

#include "socketio/json.hpp"

namespace relay::plugins::websocket::socketio {

std::optional<std::string> string_member(std::string_view object_json, std::string_view key) {
    json::MemberList members;
    if (json::parse_object(object_json, members)) return std::nullopt;
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
        if (!json::string_equals(it->key, key)) continue;
        if (json::kind_of(it->value) != json::Kind::string) return std::nullopt;
        return json::unescape(it->value);
    }
    return std::nullopt;
}

std::optional<RecoveryRequest> recovery_request(std::string_view auth_json) {
    auto pid = string_member(auth_json, "pid");
    if (!pid) return std::nullopt;
    RecoveryRequest req{.pid = std::move(*pid), .offset = {}};
    if (auto offset = string_member(auth_json, "offset")) req.offset = std::move(*offset);
    return req;
}

namespace {

/// The code point of the UTF-8 sequence at `text[i]`, advancing `i` past it; nullopt
/// for an invalid sequence.
std::optional<std::uint32_t> next_code_point(std::string_view text, std::size_t& i) noexcept {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
        ++i;
        return lead;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0;
    // The second byte's range rules out overlongs, surrogates and code points past
    // U+10FFFF (RFC 3629, section 4).
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        cp = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        cp = lead & 0x0FU;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        cp = lead & 0x07U;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return std::nullopt;
    }
    if (text.size() - i < length) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
        const unsigned char next = byte(i + k);
        if (k == 1 ? (next < lo || next > hi) : (next < 0x80 || next > 0xBF)) return std::nullopt;
        cp = (cp << 6U) | (next & 0x3FU);
    }
    i += length;
    return cp;
}

}  // namespace

NameProblem check_name(std::string_view name, std::size_t max_bytes) noexcept {
    if (name.size() > max_bytes) return NameProblem::too_long;
    bool control = false;
    for (std::size_t i = 0; i < name.size();) {
        const auto cp = next_code_point(name, i);
        if (!cp) return NameProblem::not_utf8;
        if (*cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) control = true;
    }
    return control ? NameProblem::control_character : NameProblem::none;
}

std::string name_error(std::string_view what, NameProblem problem, std::size_t max_bytes) {
    std::string out = "Invalid " + std::string(what) + ": ";
    switch (problem) {
        case NameProblem::too_long:
            out += "longer than " + std::to_string(max_bytes) + " bytes";
            break;
        case NameProblem::not_utf8: out += "not valid UTF-8"; break;
        case NameProblem::control_character: out += "contains a control character"; break;
        case NameProblem::none: out += "ok"; break;
    }
    return out;
}

}  // namespace relay::plugins::websocket::socketio
