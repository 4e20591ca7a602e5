#pragma once
#include "settings.hpp"

#include <relay/sdk/context.hpp>
#include <relay/sdk/presence.hpp>

#include <memory>

namespace relay::plugins::local {

/// Presence for a single node: an in-process map room -> members.
///
/// A join of a sid already in the room changes nothing and emits no event; a leave of
/// a sid not in the room emits nothing. Handlers see every other join and leave, in
/// the order they happened. A member joined without `node` gets this node's id.
/// members() lists a room sorted by sid. nodes() lists this node alone, with every
/// member it holds.
///
/// Thread safety: every member may be called from any thread; the work runs on the
/// context's executor, where every callback runs too. Nothing throws. After stop(),
/// join/leave/members answer Errc::shutting_down and no event fires.
class LocalPresence final : public sdk::Presence {
public:
    LocalPresence(Settings settings, sdk::PluginContext& ctx);
    ~LocalPresence() override;
    LocalPresence(const LocalPresence&) = delete;
    LocalPresence& operator=(const LocalPresence&) = delete;
    LocalPresence(LocalPresence&&) = delete;
    LocalPresence& operator=(LocalPresence&&) = delete;

    void on_change(sdk::PresenceHandler handler) override;
    void start(sdk::Done done) override;
    void join(const sdk::Member& member, sdk::Done done) override;
    void leave(const sdk::Member& member, sdk::Done done) override;
    void members(std::string_view room, sdk::MembersDone done) override;
    void nodes(sdk::NodesDone done) override;
    void stop(sdk::Done done) override;

private:
    class Core;
    sdk::Executor executor_;
    std::shared_ptr<Core> core_;
};

}  // namespace relay::plugins::local
