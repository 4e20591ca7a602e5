#include "socketio/placeholders.hpp"

namespace relay::plugins::websocket::socketio {
namespace {

/// A final class on the stack: its non-virtual destructor is never reached through
/// the base.
class PlaceholderFinder final : public json::Visitor {  // NOLINT(*-virtual-class-destructor)
public:
    explicit PlaceholderFinder(PlaceholderNums& nums) : nums_(nums) {}

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
        if (frame.placeholder) nums_.push_back(frame.num);
    }

private:
    struct Frame {
        bool placeholder = false;
        std::string_view num;
    };
    PlaceholderNums& nums_;
    boost::container::small_vector<Frame, 8> stack_;
};

}  // namespace

std::error_code find_placeholders(std::string_view json, PlaceholderNums& nums,
                                  const json::Limits& limits) {
    PlaceholderFinder finder(nums);
    return json::walk(json, finder, limits);
}

}  // namespace relay::plugins::websocket::socketio
