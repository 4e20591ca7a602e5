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
#include <utility>
#include <vector>

namespace relay::plugins::websocket {

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
///
/// The shard sits below the sessions: it holds them (EngineSession, opaque here) and
/// calls nothing of theirs but Recipient::deliver, an interface it defines and a
/// session's chat socket implements.
/// Thread safety: every member function runs on executor() only.
class Shard {
public:
    /// What a room's broadcasts go out to: the receiving end of one session here.
    class Recipient {
    public:
        /// Queues `broadcast` to be sent out to the client. Never leaves the room or
        /// closes the session synchronously (a slow consumer is closed by a posted
        /// task), so a broadcast may walk the room's live list.
        virtual void deliver(const std::shared_ptr<const Broadcast>& broadcast) = 0;
        virtual ~Recipient() = default;
    };

    struct RecentLimits {
        std::size_t max_bytes = 0;  ///< 0: keep nothing (recovery off)
        std::chrono::milliseconds max_age{0};
    };

    Shard(sdk::Executor executor, RecentLimits limits)
        : executor_(std::move(executor)), limits_(limits) {}
    sdk::Executor executor() const { return executor_; }

    /// Holds `session` open here until remove(): the shard owns its thread's sessions
    /// (a polling session waiting for its next GET has no other owner).
    void add(std::shared_ptr<EngineSession> session);
    /// Lets the session go; it leaves its room first, if it is in one.
    void remove(const EngineSession& session);
    /// Puts the session (added before) in `room`, where its broadcasts go to
    /// `recipient`, except those sent by `sid`.
    void join(const EngineSession& session, const std::string& room, const std::string& sid,
              Recipient& recipient);
    /// Takes the session out of its room, if it is in one.
    void leave(const EngineSession& session);
    /// The sessions held here, for closing them all on stop.
    std::vector<std::shared_ptr<EngineSession>> sessions() const;
    /// Each room with members here, and how many.
    std::vector<std::pair<std::string, std::size_t>> room_sizes() const;

    /// Delivers the broadcast to every member of `room` here but `except_sid`; returns
    /// how many. A message (non-empty id) is remembered for recovery.
    std::size_t broadcast(const std::string& room,
                          const std::shared_ptr<const Broadcast>& broadcast,
                          std::string_view except_sid);

    /// The messages of `room` delivered after the one with id `offset`, oldest first;
    /// nullopt when `offset` is not among the recent ones.
    std::optional<std::vector<std::shared_ptr<const Broadcast>>> recent_after(
        const std::string& room, std::string_view offset) const;
    /// The id of the newest recent message of `room`; empty if none.
    std::string newest_id(const std::string& room) const;

private:
    /// One session held here and, once it joined, its place in a room.
    struct Seat {
        std::shared_ptr<EngineSession> session;
        Recipient* recipient = nullptr;  ///< non-null while in `room`
        std::string room;
    };
    /// A member of a room: what a broadcast reads of it, side by side in the room's
    /// vector, so that the loop over a room chases no pointer before deliver().
    struct Member {
        Recipient* recipient;
        std::string sid;  ///< the Socket.IO sid, whose own broadcasts it does not get
    };
    struct Recent {
        std::chrono::steady_clock::time_point at;
        std::shared_ptr<const Broadcast> broadcast;
        std::size_t bytes;
    };
    void remember(const std::shared_ptr<const Broadcast>& broadcast);

    sdk::Executor executor_;
    RecentLimits limits_;
    // One list of the thread's sessions, seats_, which owns them; rooms_ is an index
    // of the members of each room, kept by join(), leave() and remove() only, so that
    // a broadcast walks only its room's members and a session never outlives its place
    // in a room.
    std::unordered_map<const EngineSession*, Seat> seats_;
    std::unordered_map<std::string, std::vector<Member>> rooms_;
    std::deque<Recent> recent_;  // every room, oldest first
    std::unordered_map<std::string, std::deque<std::shared_ptr<const Broadcast>>> recent_by_room_;
    std::size_t recent_bytes_ = 0;
};

}  // namespace relay::plugins::websocket
