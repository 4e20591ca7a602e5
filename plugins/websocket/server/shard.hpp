#pragma once
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace relay::plugins::websocket {

class ChatSocket;
class EngineSession;

/// One I/O thread's share of the transport: the sessions that live on it and their
/// room membership. A broadcast posts one task per shard, which hands the same
/// encoded frames to each local member: no lock, copy or allocation per recipient.
///
/// Each shard also keeps the recent messages of every room (the shared broadcasts,
/// not copies), bounded by bytes and by age, in the order it delivered them: a client
/// recovering its session on this thread gets what came after its offset from here,
/// in the same task that puts it back in its room, so nothing falls in between (as
/// socket.io's in-memory adapter keeps its packets).
/// Thread safety: every member function runs on executor() only.
class Shard {
public:
    struct RecentLimits {
        std::size_t max_bytes = 0;  ///< 0: keep nothing (recovery off)
        std::chrono::milliseconds max_age{0};
    };

    Shard(sdk::Executor executor, RecentLimits limits)
        : executor_(std::move(executor)), limits_(limits) {}
    sdk::Executor executor() const { return executor_; }

    void join(const std::string& room, ChatSocket* socket);
    void leave(const std::string& room, ChatSocket* socket);
    /// Queues the broadcast to every member of `room` here but `except_sid`; returns how
    /// many. A message (non-empty id) is remembered for recovery.
    std::size_t broadcast(const std::string& room,
                          const std::shared_ptr<const Broadcast>& broadcast,
                          std::string_view except_sid);

    /// The messages of `room` delivered after the one with id `offset`, oldest first;
    /// nullopt when `offset` is not among the recent ones.
    std::optional<std::vector<std::shared_ptr<const Broadcast>>> recent_after(
        const std::string& room, std::string_view offset) const;
    /// The id of the newest recent message of `room`; empty if none.
    std::string newest_id(const std::string& room) const;

    void add(const std::shared_ptr<EngineSession>& session) { sessions_.insert(session); }
    void remove(const std::shared_ptr<EngineSession>& session) { sessions_.erase(session); }
    /// The live sessions, for closing them all on stop.
    std::vector<std::shared_ptr<EngineSession>> sessions() const {
        return {sessions_.begin(), sessions_.end()};
    }

private:
    struct Recent {
        std::chrono::steady_clock::time_point at;
        std::shared_ptr<const Broadcast> broadcast;
        std::size_t bytes;
    };
    void remember(const std::shared_ptr<const Broadcast>& broadcast);

    sdk::Executor executor_;
    RecentLimits limits_;
    std::unordered_map<std::string, std::vector<ChatSocket*>> rooms_;
    std::unordered_set<std::shared_ptr<EngineSession>> sessions_;
    std::deque<Recent> recent_;  // every room, oldest first
    std::unordered_map<std::string, std::deque<std::shared_ptr<const Broadcast>>> recent_by_room_;
    std::size_t recent_bytes_ = 0;
};

}  // namespace relay::plugins::websocket
