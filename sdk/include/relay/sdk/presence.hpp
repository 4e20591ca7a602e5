#pragma once
#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/error.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::sdk {

/// One connection in one room.
struct Member {
    std::string room;
    std::string sid;   ///< connection id, unique across the cluster
    std::string user;  ///< may be empty
    std::string node;  ///< the node holding the connection
    std::int64_t joined_ms = 0;

    friend bool operator==(const Member&, const Member&) = default;
};

/// One node of the cluster as presence sees it: alive (heartbeating, for a presence
/// that expires nodes) and holding `members` members, in all rooms.
struct NodeInfo {
    std::string node;         ///< the node id (Member::node, PluginContext::node_id())
    std::size_t members = 0;  ///< members the node holds now (one per connection and room)

    friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

struct PresenceEvent {
    enum class Type { join, leave };
    Type type = Type::join;
    Member member;
};

using MembersDone = std::function<void(std::error_code, std::vector<Member>)>;
using PresenceHandler = std::function<void(const PresenceEvent&)>;
/// The number of members in a room.
using CountDone = std::function<void(std::error_code, std::size_t)>;
/// The rooms a user has at least one member in, sorted, without duplicates.
using RoomsDone = std::function<void(std::error_code, std::vector<std::string>)>;
/// The live nodes, one entry per node id, sorted by node id.
using NodesDone = std::function<void(std::error_code, std::vector<NodeInfo>)>;

/// Who is online in which room, across nodes.
/// Lifecycle: on_change() before start(); nothing fires after stop() completed.
/// Thread safety: join/leave/members may be called from any host thread. Callbacks
/// run on the plugin's executor. Nothing here throws.
class Presence {
public:
    virtual ~Presence() = default;
    /// `handler` sees every join and leave, from any node (this one included).
    virtual void on_change(PresenceHandler handler) = 0;
    virtual void start(Done done) = 0;
    virtual void join(const Member& member, Done done) = 0;
    virtual void leave(const Member& member, Done done) = 0;
    virtual void members(std::string_view room, MembersDone done) = 0;
    /// How many members `room` has. Optional: the default answers Errc::not_supported,
    /// inline.
    virtual void count(
        std::string_view /*room*/,
        CountDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), 0);
    }
    /// The rooms `user` is in (on any node). Optional: the default answers
    /// Errc::not_supported, inline.
    virtual void rooms_of(
        std::string_view /*user*/,
        RoomsDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), {});
    }
    /// The nodes alive now (this one included, once started), with how many members
    /// each holds; a node holding none is listed too. Entries of one node id are
    /// merged (a node restarted within its ttl counts once, its members summed).
    /// Optional: the default answers Errc::not_supported, inline.
    virtual void nodes(
        NodesDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done(make_error_code(Errc::not_supported), {});
    }
    virtual void stop(Done done) = 0;
};

}  // namespace relay::sdk
