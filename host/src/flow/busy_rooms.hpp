#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relay::host {

/// The rooms with the most messages lately, for the admin page (/admin/stats). The flow
/// counts each message as it broadcasts it, so a room's count is every message this node
/// delivered to it: its own clients', other nodes', and records other services produced
/// to the queue.
///
/// Bounded, whatever the number of rooms: counts are kept in windows (`window`, the
/// current one and the one before), and in each window for at most `capacity` rooms
/// (the Space-Saving algorithm): a room not counted yet takes the place of the
/// least-counted one and starts from that count plus one. A room busier than
/// 1/`capacity` of the window's messages is always among them, and a count is never
/// too low; it may be too high by at most `overcount`, the count it took over. A
/// chat with thousands of quiet rooms and a few loud ones shows the loud ones exactly.
/// Thread safety: any thread (add() on the broadcast path, top() from the admin server).
class BusyRooms {
public:
    using Clock = std::chrono::steady_clock;

    struct Room {
        std::string name;
        std::uint64_t messages = 0;   ///< in the counted span (may be overcount too high)
        std::uint64_t overcount = 0;  ///< at most this much of `messages` is another room's
        double per_second = 0;        ///< messages over the span
    };

    static constexpr std::size_t kDefaultCapacity = 128;
    static constexpr std::chrono::seconds kDefaultWindow{10};

    explicit BusyRooms(std::size_t capacity = kDefaultCapacity,
                       Clock::duration window = kDefaultWindow,
                       Clock::time_point now = Clock::now());

    void add(std::string_view room, Clock::time_point now = Clock::now());

    struct Top {
        std::vector<Room> rooms;  ///< busiest first; ties by name
        Clock::duration span{};   ///< what the counts cover: up to two windows
    };
    /// The `n` rooms with the most messages over the last whole window and the current
    /// one so far.
    Top top(std::size_t n, Clock::time_point now = Clock::now()) const;

private:
    struct Counted {
        std::uint64_t messages = 0;
        std::uint64_t overcount = 0;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    using Table = std::unordered_map<std::string, Counted, NameHash, std::equal_to<>>;

    void rotate(Clock::time_point now);  // under mutex_

    const std::size_t capacity_;
    const Clock::duration window_;
    const Clock::time_point started_;
    mutable std::mutex mutex_;
    Clock::time_point current_start_;
    Table current_;
    Table previous_;  // the whole window before current_; empty in the first
};

}  // namespace relay::host
