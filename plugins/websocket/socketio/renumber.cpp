#include "socketio/renumber.hpp"

#include "socketio/placeholders.hpp"

#include <charconv>

namespace relay::plugins::websocket::socketio {

void append_renumbered(std::string& out, std::string_view json, std::uint32_t offset) {
    PlaceholderNums nums;
    if (offset == 0 || find_placeholders(json, nums) || nums.empty()) {
        out.append(json);
        return;
    }
    std::size_t copied = 0;
    for (const std::string_view num : nums) {
        const auto at = static_cast<std::size_t>(num.data() - json.data());
        std::uint64_t value = 0;
        const auto parsed = std::from_chars(num.data(), num.data() + num.size(), value);
        if (parsed.ec != std::errc() || parsed.ptr != num.data() + num.size()) continue;
        out.append(json.substr(copied, at - copied));
        out.append(std::to_string(value + offset));
        copied = at + num.size();
    }
    out.append(json.substr(copied));
}

}  // namespace relay::plugins::websocket::socketio
