#pragma once
#include "server/out_frame.hpp"
#include "server/recovery_overlap.hpp"

#include <relay/sdk/message.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace relay::plugins::websocket {

class ChatSocket;
class EngineSession;
class Shard;
struct ChatShared;

/// Connection state recovery for one socket: what a reconnecting client missed after
/// its `offset`, sent before any live message, once and in order.
///
/// Usually the offset is among its thread's recent messages (Shard::recent_after) and
/// what follows is sent at once. Otherwise the store answers: an offset older than the
/// recent messages, or, on a node other than the client's last one, an offset newer
/// than this node has delivered yet. Then live broadcasts wait (held) while the store
/// is read, again every kStoreRetryDelay for up to kStoreCatchUp, until it has the
/// newest message delivered here (the store is written after the queue broadcasts) or
/// the offset came in live. A recovery whose missed messages pass history_max_bytes,
/// or whose held live ones pass what the client may queue besides, connects the client
/// afresh (`recovered` false) instead of dropping it: the client pages the history.
/// Thread safety: the session's executor only.
class SessionRecovery {
public:
    /// How long a recovery waits for the store to catch up with the queue, and how
    /// often it asks meanwhile.
    static constexpr std::chrono::milliseconds kStoreCatchUp{2000};
    static constexpr std::chrono::milliseconds kStoreRetryDelay{10};

    /// The recovery of `chat`, the chat socket of `session` on `shard`. Reads `shared`'s
    /// options, the store through its inbound, and logs to its telemetry.
    SessionRecovery(const ChatShared& shared, EngineSession& session, Shard& shard,
                    ChatSocket& chat)
        : shared_(shared), session_(session), shard_(shard), chat_(chat) {}

    /// The socket is back in its room with a recovered sid: sends the CONNECT reply
    /// and what it missed after `offset` (or connects it afresh).
    void start(const std::string& offset);
    /// A live broadcast of the socket's room on its way out. False: send it as usual;
    /// true: it was held for after the missed messages, or the client has it already.
    bool intercept(const std::shared_ptr<const Broadcast>& broadcast);
    /// The session closed: forget everything.
    void reset();

private:
    /// Reads the store after `offset` until it has `until` (it may lag the queue).
    void read_missed(std::string offset, std::string until,
                     std::chrono::steady_clock::time_point deadline);
    /// The store's answer (or what there is at the deadline).
    void on_read(const std::string& until, std::chrono::steady_clock::time_point deadline,
                 std::error_code ec, const std::vector<sdk::Message>& stored,
                 const std::string& offset);
    /// Sends the CONNECT reply and, if `complete`, the missed messages; then the live
    /// ones held meanwhile.
    void finish(const std::vector<sdk::Message>& stored, bool complete);
    /// Whether the recovery's offset came in live while the store was read.
    bool held_offset() const;
    void log_not_recovered(std::size_t missed_bytes) const;

    const ChatShared& shared_;
    EngineSession& session_;
    Shard& shard_;
    ChatSocket& chat_;
    // While reading the store, live broadcasts wait here until the missed ones are sent.
    bool active_ = false;
    std::vector<std::shared_ptr<const Broadcast>> held_;
    std::size_t held_bytes_ = 0;
    std::string offset_;
    // This node had not delivered the recovery's offset when it began (see start()).
    bool behind_ = false;
    // Nothing of the room delivered here and a recent offset: wait for it to come in.
    bool awaits_offset_ = false;
    // After a recovery from the store: live messages the client has already.
    RecoveryOverlap overlap_;
};

}  // namespace relay::plugins::websocket
