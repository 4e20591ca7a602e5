#include "repeat_filter.hpp"

#include <cctype>

namespace relay::plugins::kafka {

std::optional<std::string> RepeatFilter::pass(const std::string& key, const std::string& line,
                                              Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = seen_.try_emplace(key, Seen{now, 0, line});
    if (fresh) return line;
    Seen& seen = it->second;
    if (now - seen.window_start < window_) {
        ++seen.held_back;
        seen.line = line;
        return std::nullopt;
    }
    std::string out = seen.held_back > 0 ? with_count(seen) : line;
    seen = Seen{now, 0, line};
    return out;
}

std::vector<std::string> RepeatFilter::flush(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines;
    for (auto it = seen_.begin(); it != seen_.end();) {
        Seen& seen = it->second;
        if (now - seen.window_start < window_) {
            ++it;
            continue;
        }
        if (seen.held_back == 0) {
            it = seen_.erase(it);  // quiet for a whole window: the next one is news
            continue;
        }
        lines.push_back(with_count(seen));
        seen = Seen{now, 0, seen.line};
        ++it;
    }
    return lines;
}

std::string RepeatFilter::with_count(const Seen& seen) const {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(window_).count();
    return seen.line + " (" + std::to_string(seen.held_back) + " more like it in the last " +
           std::to_string(seconds) + "s)";
}

std::string RepeatFilter::key_of(const std::string& facility, const std::string& text) {
    // "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused
    // (after 0ms in state CONNECT, 4 identical error(s) suppressed)": the broker stays
    // in the key, the timing and librdkafka's own suppression count do not.
    std::string key = facility + ":";
    const auto cut = text.find(" (after ");
    key += cut == std::string::npos ? text : text.substr(0, cut);
    return key;
}

}  // namespace relay::plugins::kafka
