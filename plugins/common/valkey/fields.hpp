#pragma once
/// A list of byte strings packed into one string as `<length>:<bytes>` items
/// ("5:hello3:abc"), so that values of any content (rooms and users with separators
/// in them, binary attachments) travel in one Valkey value and the Lua scripts can take
/// them apart with string.find/sub. Pure, no I/O.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::valkey {

inline void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out.append(field.data(), field.size());
}

inline std::string pack_fields(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (auto f : fields) append_field(out, f);
    return out;
}

inline std::string pack_fields(const std::vector<std::string>& fields) {
    std::string out;
    for (const auto& f : fields) append_field(out, f);
    return out;
}

/// The fields of `packed`, or nothing when it is not a well-formed packing.
inline std::optional<std::vector<std::string>> unpack_fields(std::string_view packed) {
    std::vector<std::string> out;
    while (!packed.empty()) {
        const auto colon = packed.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(packed.data(), packed.data() + colon, n);
        if (ec != std::errc() || end != packed.data() + colon) return std::nullopt;
        packed.remove_prefix(colon + 1);
        if (n > packed.size()) return std::nullopt;
        out.emplace_back(packed.substr(0, n));
        packed.remove_prefix(n);
    }
    return out;
}

}  // namespace relay::plugins::valkey
