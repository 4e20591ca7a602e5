#pragma once
/// The `auth` plugin kind: who a client is, and what it may do in which room.
///
/// A pipeline names at most one: `auth: {use: jwt, ...}`. Without one, anyone who names
/// a room joins it and posts under the name it gives (the host's "open" identity,
/// Identity::open()). With one, every Socket.IO CONNECT (and every `refresh` event)
/// goes through Authenticator::authenticate before anything is joined; the identity it
/// answers decides the user name others see and every room permission.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::sdk {

/// One thing a client may do in a room.
enum class Permission : std::uint8_t {
    join = 1,      ///< be a member: connect to the room, receive its messages
    publish = 2,   ///< send messages to it
    history = 4,   ///< read its stored messages (`history`, connection state recovery)
    presence = 8,  ///< list its members
};

/// A set of permissions (bits of Permission).
using Permissions = std::uint8_t;
inline constexpr Permissions kNoPermissions = 0;
inline constexpr Permissions kAllPermissions = 1U | 2U | 4U | 8U;

constexpr Permissions operator|(Permission a, Permission b) noexcept {
    return static_cast<Permissions>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(Permissions set, Permission p) noexcept {
    return (set & static_cast<Permissions>(p)) != 0;
}

/// The name of a permission as configs, claims and error messages spell it.
inline std::string_view permission_name(Permission p) noexcept {
    switch (p) {
        case Permission::join: return "join";
        case Permission::publish: return "publish";
        case Permission::history: return "history";
        case Permission::presence: return "presence";
    }
    return "unknown";
}

/// Rooms a grant covers: an exact room name, or a prefix pattern ending in `*`
/// (`team-42/*` covers `team-42/general` and `team-42/`; `*` covers every room). A `*`
/// anywhere else is an ordinary character.
inline bool room_pattern_matches(std::string_view pattern, std::string_view room) noexcept {
    if (!pattern.empty() && pattern.back() == '*') {
        pattern.remove_suffix(1);
        return room.substr(0, pattern.size()) == pattern;
    }
    return pattern == room;
}

/// Some rooms and what the identity may do in them.
struct RoomGrant {
    std::string pattern;  ///< see room_pattern_matches
    Permissions permissions = kNoPermissions;
};

/// Who a client is, as an auth plugin vouches for it.
struct Identity {
    /// Who: the stable id (a JWT's `sub`). Empty only in the open identity, where the
    /// client names itself.
    std::string user_id;
    /// What others see as the sender's `user` (messages, join/leave, presence); empty:
    /// the user id.
    std::string name;
    /// When the identity stops being valid: the client is disconnected then unless it
    /// sent a `refresh` with a newer one. The epoch (the default): never.
    std::chrono::system_clock::time_point expires_at{};
    /// Rooms and permissions; a room no grant covers allows nothing. Grants add up.
    std::vector<RoomGrant> rooms;

    /// Everything the identity may do in `room`.
    Permissions permissions_in(std::string_view room) const noexcept {
        Permissions set = kNoPermissions;
        for (const auto& grant : rooms) {
            if (room_pattern_matches(grant.pattern, room)) set |= grant.permissions;
        }
        return set;
    }
    bool may(Permission p, std::string_view room) const noexcept {
        return has(permissions_in(room), p);
    }
    bool expires() const noexcept { return expires_at.time_since_epoch().count() != 0; }
    /// The name others see: `name`, else `user_id`.
    const std::string& display_name() const noexcept { return name.empty() ? user_id : name; }

    /// The host's identity when the pipeline has no auth section: every room, every
    /// permission, no user id (the client's own `user` is used), never expires.
    static Identity open() { return {{}, {}, {}, {{"*", kAllPermissions}}}; }
};

/// What a client presented when it connected (or, for a `refresh`, what it sent then).
struct Handshake {
    /// The Socket.IO CONNECT `auth` object as JSON text (`{}` when it sent none); for a
    /// `refresh`, the event's argument.
    std::string auth_json = "{}";
    /// The HTTP request that opened the Engine.IO session (polling handshake or
    /// WebSocket upgrade): header names lower-case, values as sent, in order.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string query;           ///< its query string, without the `?`
    std::string remote_address;  ///< the client's IP address
    std::string room;            ///< the room it asks for
    bool refresh = false;        ///< a `refresh` of a connected client, not a CONNECT

    /// The first header named `name` (compared case-insensitively); empty if absent.
    std::string_view header(std::string_view name) const noexcept {
        const auto same = [name](std::string_view other) {
            return other.size() == name.size() &&
                   std::equal(other.begin(), other.end(), name.begin(),
                              [](char a, char b) { return lower(a) == lower(b); });
        };
        for (const auto& [key, value] : headers) {
            if (same(key)) return value;
        }
        return {};
    }

private:
    static constexpr char lower(char c) noexcept {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
};

/// An authenticator's answer.
struct AuthOutcome {
    bool allowed = false;
    /// Why not, for the client's `connect_error` (or the `refresh` error ack): say what
    /// is wrong without secrets ("token expired", "invalid signature").
    std::string reason;
    Identity identity;  ///< when allowed

    static AuthOutcome allow(Identity identity) { return {true, {}, std::move(identity)}; }
    static AuthOutcome refuse(std::string why) { return {false, std::move(why), {}}; }
};

using AuthDone = std::function<void(AuthOutcome)>;

/// Decides who a client is. The host asks it once per CONNECT and once per `refresh`;
/// the room check itself (`join` on the room asked for) is the host's, so an
/// authenticator may answer an identity without looking at `handshake.room`.
/// Lifecycle: created by the factory; start/stop as the other kinds have none (an
/// authenticator that needs a backend connects lazily and answers refusals meanwhile).
/// Thread safety: authenticate() is called from any I/O thread, concurrently; `done`
/// runs exactly once, on any host executor (inline is fine). Never throws.
class Authenticator {
public:
    virtual ~Authenticator() = default;
    virtual void authenticate(const Handshake& handshake, AuthDone done) = 0;
    /// Re-read what may have changed on disk (keys, JWKS files): the host calls it on
    /// SIGHUP, on the plugin's executor. Keep the old state when the new one is bad,
    /// and log why.
    virtual void reload() {}
};

}  // namespace relay::sdk
