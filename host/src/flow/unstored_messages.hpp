#pragma once
#include <relay/sdk/message.hpp>
#include <relay/sdk/store.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relay::host {

/// Messages this node acked or broadcast that the store may not have yet, so that
/// history reads its own writes: with a queue that acks before the store subscription
/// has stored a message (kafka, valkey_streams), a sender holding its ack, or a member
/// who was just shown a message, still finds it in `history`. merge() folds them into
/// the store's answer (deduplicated by id) and forgets those the store now has.
///
/// Bounded: entries older than `max_age` or beyond `max_bytes` (oldest first) are
/// dropped; by then the store has long caught up, or the operator sees its lag.
/// Thread safety: any thread.
class UnstoredMessages {
public:
    using Clock = std::chrono::steady_clock;

    UnstoredMessages(std::chrono::milliseconds max_age, std::size_t max_bytes)
        : max_age_(max_age), max_bytes_(max_bytes) {}

    /// Keeps `msg` (once per id; a copy only when it is new).
    void add(const sdk::Message& msg, Clock::time_point now = Clock::now());
    void add(std::shared_ptr<const sdk::Message> msg, Clock::time_point now = Clock::now());
    /// The store's answer `stored` to `query` on `room`, with the kept messages of the
    /// room that belong in it, oldest first and at most `query.limit`, as the store
    /// would answer if it had them all.
    std::vector<sdk::Message> merge(std::string_view room, const sdk::HistoryQuery& query,
                                    std::vector<sdk::Message> stored,
                                    Clock::time_point now = Clock::now());

    std::size_t size() const;
    std::size_t bytes() const;

private:
    using Kept = std::shared_ptr<const sdk::Message>;
    /// A room's kept messages, by id. Ids sort in acceptance order and messages come
    /// nearly in it, so adding is mostly a push_back and evicting a pop_front: no tree,
    /// and no id compared more than once or twice (ULIDs of one millisecond share
    /// their first ten characters).
    using Room = std::deque<Kept>;
    struct Added {
        Kept msg;
        std::size_t bytes;
        Clock::time_point when;
    };
    /// Where `id` is or would go in `room`; find(): where it is, or end().
    static Room::iterator position(Room& room, std::string_view id);
    static Room::iterator find(Room& room, std::string_view id);
    void evict(Clock::time_point now);  // under mutex_
    void erase(const Added& added);     // under mutex_

    const std::chrono::milliseconds max_age_;
    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Room> rooms_;
    std::deque<Added> order_;  // oldest first, for eviction
    std::size_t bytes_ = 0;
};

}  // namespace relay::host
