#include "flow/unstored_messages.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace relay::host {
namespace {

std::size_t footprint(const sdk::Message& msg) {
    std::size_t bytes = sizeof(sdk::Message) + msg.id.size() * 3 + msg.room.size() +
                        msg.sender.size() + msg.user.size() + msg.payload_json.size() +
                        msg.position.size();
    for (const auto& attachment : msg.attachments) bytes += attachment.size();
    return bytes;
}

}  // namespace

UnstoredMessages::Room::iterator UnstoredMessages::position(Room& room, std::string_view id) {
    if (room.empty() || room.back()->id < id) return room.end();  // the common case: newer
    return std::lower_bound(room.begin(), room.end(), id,
                            [](const Kept& kept, std::string_view key) { return kept->id < key; });
}

UnstoredMessages::Room::iterator UnstoredMessages::find(Room& room, std::string_view id) {
    auto it = position(room, id);
    return it != room.end() && (*it)->id == id ? it : room.end();
}

void UnstoredMessages::add(const sdk::Message& msg, Clock::time_point now) {
    {
        std::lock_guard lock(mutex_);
        auto room = rooms_.find(msg.room);
        if (room != rooms_.end() && find(room->second, msg.id) != room->second.end()) return;
    }
    add(std::make_shared<const sdk::Message>(msg), now);
}

void UnstoredMessages::add(std::shared_ptr<const sdk::Message> msg, Clock::time_point now) {
    const std::size_t bytes = footprint(*msg);
    if (bytes > max_bytes_) return;
    std::lock_guard lock(mutex_);
    auto& room = rooms_[msg->room];
    auto at = position(room, msg->id);
    if (at != room.end() && (*at)->id == msg->id) return;
    room.insert(at, msg);
    order_.push_back({std::move(msg), bytes, now});
    bytes_ += bytes;
    evict(now);
}

std::vector<sdk::Message> UnstoredMessages::merge(std::string_view room_name,
                                                  const sdk::HistoryQuery& query,
                                                  std::vector<sdk::Message> stored,
                                                  Clock::time_point now) {
    std::lock_guard lock(mutex_);
    evict(now);
    auto room_it = rooms_.find(std::string(room_name));
    if (room_it == rooms_.end()) return stored;
    auto& room = room_it->second;

    // The store has these now: forget them, for good.
    for (const auto& msg : stored) {
        if (auto it = find(room, msg.id); it != room.end()) {
            bytes_ -= std::min(bytes_, footprint(**it));
            room.erase(it);
        }
    }
    // `have` views the ids in `stored`: nothing is added to `stored` while it is used.
    std::unordered_set<std::string_view> have;
    for (const auto& msg : stored) have.insert(msg.id);
    auto by_id = [](const Kept& kept, std::string_view key) { return kept->id < key; };
    auto first = query.after_id.empty()
                     ? room.begin()
                     : std::upper_bound(
                           room.begin(), room.end(), std::string_view(query.after_id),
                           [](std::string_view key, const Kept& kept) { return key < kept->id; });
    auto last =
        query.before_id.empty()
            ? room.end()
            : std::lower_bound(room.begin(), room.end(), std::string_view(query.before_id), by_id);
    std::vector<sdk::Message> missing;
    for (auto it = first; it < last; ++it) {
        if (!have.contains((*it)->id)) missing.push_back(**it);
    }
    if (room.empty()) rooms_.erase(room_it);
    if (missing.empty()) return stored;
    stored.insert(stored.end(), std::make_move_iterator(missing.begin()),
                  std::make_move_iterator(missing.end()));

    std::sort(stored.begin(), stored.end(),
              [](const sdk::Message& a, const sdk::Message& b) { return a.id < b.id; });
    if (stored.size() > query.limit) {
        // "After" wants the first `limit`; the last `limit` otherwise.
        if (query.after_id.empty()) {
            stored.erase(stored.begin(),
                         stored.begin() + static_cast<std::ptrdiff_t>(stored.size() - query.limit));
        } else {
            stored.resize(query.limit);
        }
    }
    return stored;
}

void UnstoredMessages::evict(Clock::time_point now) {
    // The entry bound keeps the bookkeeping of messages merge() already forgot small.
    const std::size_t max_entries = max_bytes_ / 256 + 1;
    while (!order_.empty() && (bytes_ > max_bytes_ || order_.size() > max_entries ||
                               now - order_.front().when > max_age_)) {
        erase(order_.front());
        order_.pop_front();
    }
}

void UnstoredMessages::erase(const Added& added) {
    auto room_it = rooms_.find(added.msg->room);
    if (room_it == rooms_.end()) return;
    auto& room = room_it->second;
    // Mostly the room's oldest; merge() may have forgotten it already, and subtracted
    // its bytes then.
    auto it = !room.empty() && room.front() == added.msg ? room.begin() : find(room, added.msg->id);
    if (it != room.end() && *it == added.msg) {
        room.erase(it);
        bytes_ -= std::min(bytes_, added.bytes);
    }
    if (room.empty()) rooms_.erase(room_it);
}

std::size_t UnstoredMessages::size() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [room, messages] : rooms_) n += messages.size();
    return n;
}

std::size_t UnstoredMessages::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

}  // namespace relay::host
