#pragma once
#include "server/out_frame.hpp"

#include <relay/sdk/asio.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace relay::plugins::websocket {

class ChatSocket;
class EngineSession;

/// One I/O thread's share of the transport: the sessions that live on it and their
/// room membership. A broadcast posts one task per shard, which hands the same
/// encoded frames to each local member: no lock, copy or allocation per recipient.
/// Thread safety: every member function runs on executor() only.
class Shard {
public:
    explicit Shard(sdk::Executor executor) : executor_(executor) {}
    sdk::Executor executor() const { return executor_; }

    void join(const std::string& room, ChatSocket* socket);
    void leave(const std::string& room, ChatSocket* socket);
    /// Queues the broadcast to every member of `room` here but `except_sid`; returns how many.
    std::size_t deliver(const std::string& room, const Broadcast& broadcast,
                        std::string_view except_sid);

    void add(const std::shared_ptr<EngineSession>& session) { sessions_.insert(session); }
    void remove(const std::shared_ptr<EngineSession>& session) { sessions_.erase(session); }
    /// The live sessions, for closing them all on stop.
    std::vector<std::shared_ptr<EngineSession>> sessions() const {
        return {sessions_.begin(), sessions_.end()};
    }

private:
    sdk::Executor executor_;
    std::unordered_map<std::string, std::vector<ChatSocket*>> rooms_;
    std::unordered_set<std::shared_ptr<EngineSession>> sessions_;
};

}  // namespace relay::plugins::websocket
