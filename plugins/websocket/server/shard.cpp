#include "server/shard.hpp"

#include "server/chat_socket.hpp"

#include <algorithm>

namespace relay::plugins::websocket {

void Shard::join(const std::string& room, ChatSocket* socket) { rooms_[room].push_back(socket); }

void Shard::leave(const std::string& room, ChatSocket* socket) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    auto& members = it->second;
    // Order within a room does not matter: swap-and-pop keeps leave O(n) scan, O(1) erase.
    if (auto m = std::find(members.begin(), members.end(), socket); m != members.end()) {
        *m = members.back();
        members.pop_back();
    }
    if (members.empty()) rooms_.erase(it);
}

std::size_t Shard::deliver(const std::string& room, const Broadcast& broadcast,
                           std::string_view except_sid) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return 0;
    std::size_t n = 0;
    // ChatSocket::deliver never leaves the room synchronously (a slow consumer is
    // closed by a posted task), so iterating the live vector is safe.
    for (ChatSocket* member : it->second) {
        if (member->sid() == except_sid) continue;
        member->deliver(broadcast);
        ++n;
    }
    return n;
}

}  // namespace relay::plugins::websocket
