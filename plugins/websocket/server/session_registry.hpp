#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relay::plugins::websocket {

class EngineSession;

/// Engine.IO sid → session, for requests that name a sid (polling, upgrades): those
/// may arrive on any thread. Sessions register on open and unregister on close.
/// Thread safety: any thread (a mutex; held only for the map operation).
class SessionRegistry {
public:
    void add(const std::string& sid, const std::shared_ptr<EngineSession>& session) {
        std::lock_guard lock(mutex_);
        sessions_[sid] = session;
    }
    void remove(const std::string& sid) {
        std::lock_guard lock(mutex_);
        sessions_.erase(sid);
    }
    std::shared_ptr<EngineSession> find(const std::string& sid) const {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(sid);
        return it == sessions_.end() ? nullptr : it->second.lock();
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return sessions_.size();
    }

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::weak_ptr<EngineSession>> sessions_;
};

}  // namespace relay::plugins::websocket
