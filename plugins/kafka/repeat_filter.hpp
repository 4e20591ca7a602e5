#pragma once
/// Keeps librdkafka's repeated lines from flooding the log: every client (producer,
/// two consumers, reader) reports each broker's trouble, again at every retry.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::kafka {

/// One line per distinct problem per `window`, with a count of what it held back.
/// Thread safety: any thread.
class RepeatFilter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RepeatFilter(std::chrono::milliseconds window) : window_(window) {}

    /// The line to log now, if any. The first line of a `key` is passed at once; the
    /// same key within the window is counted and held back. A key seen again after its
    /// window passes its line with " (N more like it in the last Xs)" when N > 0.
    std::optional<std::string> pass(const std::string& key, const std::string& line,
                                    Clock::time_point now = Clock::now());

    /// Lines for keys whose window ended with repeats held back ("… (N more like it in
    /// the last Xs)"); forgets keys quiet for a whole window. Call it now and then.
    std::vector<std::string> flush(Clock::time_point now = Clock::now());

    /// The key of a librdkafka log or error line: without the client's name and the
    /// numbers that change at every retry ("after 12ms in state CONNECT").
    static std::string key_of(const std::string& facility, const std::string& text);

private:
    struct Seen {
        Clock::time_point window_start;
        std::size_t held_back = 0;
        std::string line;
    };
    std::string with_count(const Seen& seen) const;

    const std::chrono::milliseconds window_;
    std::mutex mutex_;
    std::map<std::string, Seen> seen_;
};

}  // namespace relay::plugins::kafka
