#include "server/shard.hpp"

#include <algorithm>

namespace relay::plugins::websocket {

void Shard::add(std::shared_ptr<EngineSession> session) {
    const EngineSession* key = session.get();
    seats_[key].session = std::move(session);
}

void Shard::remove(const EngineSession& session) {
    auto it = seats_.find(&session);
    if (it == seats_.end()) return;
    leave(session);
    // The session may go with its seat: it is released after the erase, so that its
    // destructor never runs on a half-erased map.
    auto held = std::move(it->second.session);
    seats_.erase(it);
}

void Shard::join(const EngineSession& session, const std::string& room, const std::string& sid,
                 Recipient& recipient) {
    auto it = seats_.find(&session);
    if (it == seats_.end()) return;
    Seat& seat = it->second;
    leave(session);
    seat.recipient = &recipient;
    seat.room = room;
    rooms_[room].push_back({&recipient, sid});
}

void Shard::leave(const EngineSession& session) {
    auto it = seats_.find(&session);
    if (it == seats_.end() || it->second.recipient == nullptr) return;
    Seat& seat = it->second;
    auto room = rooms_.find(seat.room);
    if (room != rooms_.end()) {
        auto& members = room->second;
        // Order within a room does not matter: swap-and-pop keeps leave O(n) scan, O(1)
        // erase.
        const auto m = std::find_if(members.begin(), members.end(), [&](const Member& member) {
            return member.recipient == seat.recipient;
        });
        if (m != members.end()) {
            *m = std::move(members.back());
            members.pop_back();
        }
        if (members.empty()) rooms_.erase(room);
    }
    seat.recipient = nullptr;
    seat.room.clear();
}

std::vector<std::shared_ptr<EngineSession>> Shard::sessions() const {
    std::vector<std::shared_ptr<EngineSession>> held;
    held.reserve(seats_.size());
    for (const auto& [key, seat] : seats_) held.push_back(seat.session);
    return held;
}

std::vector<std::pair<std::string, std::size_t>> Shard::room_sizes() const {
    std::vector<std::pair<std::string, std::size_t>> sizes;
    sizes.reserve(rooms_.size());
    for (const auto& [room, members] : rooms_) sizes.emplace_back(room, members.size());
    return sizes;
}

std::size_t Shard::broadcast(const std::string& room,
                             const std::shared_ptr<const Broadcast>& broadcast,
                             std::string_view except_sid) {
    if (limits_.max_bytes != 0 && !broadcast->id.empty()) remember(broadcast);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return 0;
    std::size_t n = 0;
    // Recipient::deliver never leaves the room synchronously, so iterating the live
    // vector is safe.
    for (const Member& member : it->second) {
        if (member.sid == except_sid) continue;
        member.recipient->deliver(broadcast);
        ++n;
    }
    return n;
}

void Shard::remember(const std::shared_ptr<const Broadcast>& broadcast) {
    const auto now = std::chrono::steady_clock::now();
    std::size_t bytes = sizeof(Recent) + broadcast->id.size();
    for (const auto& frame : broadcast->frames) bytes += frame.bytes->size();
    recent_.push_back({now, broadcast, bytes});
    recent_by_room_[broadcast->room].push_back(broadcast);
    recent_bytes_ += bytes;
    // Both queues are in delivery order, so the oldest entry overall is also the
    // oldest of its room.
    while (!recent_.empty() &&
           (recent_bytes_ > limits_.max_bytes || now - recent_.front().at > limits_.max_age)) {
        const Recent& oldest = recent_.front();
        auto room = recent_by_room_.find(oldest.broadcast->room);
        room->second.pop_front();
        if (room->second.empty()) recent_by_room_.erase(room);
        recent_bytes_ -= oldest.bytes;
        recent_.pop_front();
    }
}

std::optional<std::vector<std::shared_ptr<const Broadcast>>> Shard::recent_after(
    const std::string& room, std::string_view offset) const {
    auto it = recent_by_room_.find(room);
    if (it == recent_by_room_.end()) return std::nullopt;
    const auto& log = it->second;
    // From the newest back: a recovering client usually missed only a few.
    for (auto m = log.rbegin(); m != log.rend(); ++m) {
        if ((*m)->id == offset)
            return std::vector<std::shared_ptr<const Broadcast>>(m.base(), log.end());
    }
    return std::nullopt;
}

std::string Shard::newest_id(const std::string& room) const {
    auto it = recent_by_room_.find(room);
    return it == recent_by_room_.end() ? std::string() : it->second.back()->id;
}

}  // namespace relay::plugins::websocket
