#include "socketio/renumber.hpp"

#include "socketio/json.hpp"

#include <charconv>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace relay::plugins::websocket::socketio {
namespace {

/// Finds the `num` value of every placeholder object, as views into the text. (A final
/// class on the stack: its non-virtual destructor is never reached through the base.)
class PlaceholderNums final : public json::Visitor {  // NOLINT(*-virtual-class-destructor)
public:
    void begin_object() override { stack_.push_back(Frame{}); }
    void member(std::string_view key, std::string_view value) override {
        Frame& top = stack_.back();
        if (json::string_equals(key, "_placeholder")) {
            top.placeholder = value == "true";
        } else if (json::string_equals(key, "num")) {
            top.num = value;
        }
    }
    void end_object() override {
        const Frame frame = stack_.back();
        stack_.pop_back();
        if (frame.placeholder && !frame.num.empty()) nums.push_back(frame.num);
    }

    std::vector<std::string_view> nums;  // in text order: objects close in order

private:
    struct Frame {
        bool placeholder = false;
        std::string_view num;
    };
    boost::container::small_vector<Frame, 8> stack_;
};

}  // namespace

void append_renumbered(std::string& out, std::string_view json, std::uint32_t offset) {
    PlaceholderNums finder;
    if (offset == 0 || json::walk(json, finder) || finder.nums.empty()) {
        out.append(json);
        return;
    }
    std::size_t copied = 0;
    for (const std::string_view num : finder.nums) {
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
