#pragma once
#include "settings.hpp"
#include "valkey/on_executor.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/presence.hpp>

#include <memory>

namespace relay::plugins::valkey {

/// Presence across nodes, kept in Valkey (see README.md for the keys).
///
/// Each node process registers under an owner id (node id + a random suffix) whose
/// liveness key it renews every `heartbeat_interval` with a PX of `ttl`. Reads list
/// only members whose owner is alive, so a dead node's members vanish within `ttl`;
/// every node also removes dead owners' members at each heartbeat and publishes their
/// leaves. nodes() lists the live owners by node id, with how many members each holds;
/// owners that share a node id (a node restarted before its previous incarnation
/// expired) are merged into one entry, their members summed. Joins and leaves are Lua scripts that
/// change the state and PUBLISH the event in one step; every node's handlers get every event from
/// the channel.
///
/// The node keeps its own members in memory: after a reconnection (or when the server
/// lost its data) it registers them again; joins and leaves made while the server was
/// out of reach answer Errc::unavailable at once and are applied (and announced) once
/// it is back.
///
/// Thread safety: every member may be called from any thread; the work runs on the
/// context's executor, where every callback runs too. Nothing throws. After stop(),
/// calls answer Errc::shutting_down and no event fires.
class ValkeyPresence final : public sdk::Presence {
public:
    ValkeyPresence(Settings settings, sdk::PluginContext& ctx);
    ~ValkeyPresence() override;
    ValkeyPresence(const ValkeyPresence&) = delete;
    ValkeyPresence& operator=(const ValkeyPresence&) = delete;
    ValkeyPresence(ValkeyPresence&&) = delete;
    ValkeyPresence& operator=(ValkeyPresence&&) = delete;

    void on_change(sdk::PresenceHandler handler) override;
    void start(sdk::Done done) override;
    void join(const sdk::Member& member, sdk::Done done) override;
    void leave(const sdk::Member& member, sdk::Done done) override;
    void members(std::string_view room, sdk::MembersDone done) override;
    void count(std::string_view room, sdk::CountDone done) override;
    void rooms_of(std::string_view user, sdk::RoomsDone done) override;
    void nodes(sdk::NodesDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    OnExecutor<Core> core_;
};

}  // namespace relay::plugins::valkey
