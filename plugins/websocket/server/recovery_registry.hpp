#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace relay::plugins::websocket {

class EngineSession;

/// What this node knows of the sessions that closed here within one recovery window
/// (Socket.IO connection state recovery), by private session id: those that may be
/// recovered, and those that may not (the client asked to leave, or sent garbage), so
/// that their pid, a token still valid on any node, is not honoured here either. Also
/// the connected sessions by private id, for a client that comes back before its old
/// connection's close was noticed. The fast path of recovery; a node that knows
/// nothing of a pid checks its token instead (see ChatSocket).
/// Thread safety: any thread.
class RecoveryRegistry {
public:
    struct Entry {
        std::string sid;
        std::string room;
        std::string user;
        std::chrono::steady_clock::time_point expires;
        bool recoverable = true;  ///< false: closed for good
    };

    void remember(const std::string& pid, Entry entry) {
        std::lock_guard lock(mutex_);
        prune();
        entries_[pid] = std::move(entry);
    }
    /// The entry for `pid` if it has not expired; it is consumed (a pid recovers once:
    /// the recovered session is live again, and a second claimant takes it over).
    std::optional<Entry> take(const std::string& pid) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(pid);
        if (it == entries_.end()) return std::nullopt;
        if (it->second.expires < std::chrono::steady_clock::now()) {
            entries_.erase(it);
            return std::nullopt;
        }
        // A session closed for good stays refused for the whole window.
        if (!it->second.recoverable) return it->second;
        Entry entry = std::move(it->second);
        entries_.erase(it);
        return entry;
    }

    void add_live(const std::string& pid, const std::shared_ptr<EngineSession>& session) {
        std::lock_guard lock(mutex_);
        live_[pid] = session;
    }
    /// Forgets `pid`'s connected session if it is `session`.
    void remove_live(const std::string& pid, const EngineSession* session) {
        std::lock_guard lock(mutex_);
        auto it = live_.find(pid);
        if (it == live_.end()) return;
        const auto held = it->second.lock();
        if (!held || held.get() == session) live_.erase(it);
    }
    /// The connected session holding `pid`, if any.
    std::shared_ptr<EngineSession> find_live(const std::string& pid) const {
        std::lock_guard lock(mutex_);
        auto it = live_.find(pid);
        return it == live_.end() ? nullptr : it->second.lock();
    }

private:
    // Drops expired entries now and then, so the map stays bounded by the number of
    // sessions that closed within one recovery window.
    void prune() {
        if (++inserts_ % 1024 != 0) return;
        const auto now = std::chrono::steady_clock::now();
        for (auto it = entries_.begin(); it != entries_.end();) {
            it = it->second.expires < now ? entries_.erase(it) : std::next(it);
        }
    }

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::unordered_map<std::string, std::weak_ptr<EngineSession>> live_;
    std::uint64_t inserts_ = 0;
};

}  // namespace relay::plugins::websocket
