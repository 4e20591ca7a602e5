#include "flow/busy_rooms.hpp"

#include <algorithm>
#include <map>

namespace relay::host {

BusyRooms::BusyRooms(std::size_t capacity, Clock::duration window, Clock::time_point now)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      window_(window),
      started_(now),
      current_start_(now) {
    current_.reserve(capacity_);
}

void BusyRooms::rotate(Clock::time_point now) {
    if (now - current_start_ < window_) return;
    const auto windows = (now - current_start_) / window_;
    // A window passed without a message: what came before it is older than the span.
    if (windows == 1) {
        previous_ = std::move(current_);
    } else {
        previous_.clear();
    }
    current_ = Table{};
    current_.reserve(capacity_);
    current_start_ += windows * window_;
}

void BusyRooms::add(std::string_view room, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    rotate(now);
    if (auto it = current_.find(room); it != current_.end()) {
        ++it->second.messages;
        return;
    }
    if (current_.size() < capacity_) {
        current_.emplace(std::string(room), Counted{1, 0});
        return;
    }
    // Full: the new room takes the least-counted one's place and count. O(capacity),
    // but only for a room not among the counted ones of a full window.
    auto least = std::min_element(
        current_.begin(), current_.end(),
        [](const auto& a, const auto& b) { return a.second.messages < b.second.messages; });
    const std::uint64_t taken = least->second.messages;
    current_.erase(least);
    current_.emplace(std::string(room), Counted{taken + 1, taken});
}

BusyRooms::Top BusyRooms::top(std::size_t n, Clock::time_point now) const {
    std::map<std::string, Counted, std::less<>> merged;
    Clock::duration span{};
    {
        std::lock_guard lock(mutex_);
        // top() does not rotate (it is const); it leaves out what a rotation would drop.
        const auto windows = now >= current_start_ ? (now - current_start_) / window_ : 0;
        const auto add_table = [&](const Table& table) {
            for (const auto& [name, counted] : table) {
                auto& m = merged[name];
                m.messages += counted.messages;
                m.overcount += counted.overcount;
            }
        };
        // The current window so far, and the whole one before it (unless it is the
        // first), as a rotation at `now` would leave them.
        const auto start = current_start_ + windows * window_;
        if (windows == 0) {
            add_table(previous_);
            add_table(current_);
        } else if (windows == 1) {
            add_table(current_);  // the window before now's
        }
        span = (now - start) + (start > started_ ? window_ : Clock::duration::zero());
    }
    Top result;
    result.span = span;
    auto& rooms = result.rooms;
    rooms.reserve(merged.size());
    const double seconds = std::chrono::duration<double>(span).count();
    for (auto& [name, counted] : merged) {
        rooms.push_back({name, counted.messages, counted.overcount,
                         seconds > 0 ? static_cast<double>(counted.messages) / seconds : 0});
    }
    const auto busier = [](const Room& a, const Room& b) {
        return a.messages != b.messages ? a.messages > b.messages : a.name < b.name;
    };
    if (rooms.size() > n) {
        std::partial_sort(rooms.begin(), rooms.begin() + static_cast<std::ptrdiff_t>(n),
                          rooms.end(), busier);
        rooms.resize(n);
    } else {
        std::sort(rooms.begin(), rooms.end(), busier);
    }
    return result;
}

}  // namespace relay::host
