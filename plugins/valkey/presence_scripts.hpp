#pragma once
/// The presence's Lua scripts: each runs atomically on the server, so a state change
/// and its event (PUBLISH) cannot be torn apart or interleaved with another node's.
///
/// Keys (P = key_prefix):
///   P node:<owner>    string, PX ttl: the owner (one node process) is alive
///   P nodes           set of owners that have registered (for the reaper)
///   P room:<room>     hash sid -> member value
///   P owned:<owner>   set of index fields (room+sid) the owner registered
///   P user:<user>     hash index field -> owner (rooms_of)
///   P reaped:<owner>  string, PX 10*ttl: tombstone, the reaper announced the owner's leaves
///   P events          pub/sub channel: 'J' or 'L' + member value
/// A member value packs owner, room, sid, user, node, joined_ms (fields.hpp); an
/// index field packs room, sid.
/// Scripts declare no KEYS (they build key names from the prefix): a standalone or
/// primary/replica server, not a cluster.
#include <string_view>

namespace relay::plugins::valkey::scripts {

// The i-th packed field of v (1-based).
// Macros, not constants: the scripts below splice these helpers in by string-literal
// concatenation, so that each script is one constant built at compile time.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): see above.
#define RELAY_VALKEY_LUA_FIELD                                                 \
    "local function field(v, i)\n"                                             \
    "  local pos = 1\n"                                                        \
    "  for _ = 1, i - 1 do\n"                                                  \
    "    local c = string.find(v, ':', pos, true)\n"                           \
    "    pos = c + 1 + tonumber(string.sub(v, pos, c - 1))\n"                  \
    "  end\n"                                                                  \
    "  local c = string.find(v, ':', pos, true)\n"                             \
    "  return string.sub(v, c + 1, c + tonumber(string.sub(v, pos, c - 1)))\n" \
    "end\n"

// The owners' liveness, looked up once per owner.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): spliced by literal concatenation, as above.
#define RELAY_VALKEY_LUA_ALIVE                                     \
    "local known = {}\n"                                           \
    "local function alive(o)\n"                                    \
    "  local a = known[o]\n"                                       \
    "  if a == nil then\n"                                         \
    "    a = redis.call('EXISTS', ARGV[1] .. 'node:' .. o) == 1\n" \
    "    known[o] = a\n"                                           \
    "  end\n"                                                      \
    "  return a\n"                                                 \
    "end\n"

/// ARGV: prefix, owner, room, sid, user, value, index, announce ('1'/'0').
/// Returns 1 when the member was added, 0 when the sid was already in the room.
inline constexpr std::string_view kJoin =
    "local p = ARGV[1]\n"
    "local rk = p .. 'room:' .. ARGV[3]\n"
    "if redis.call('HEXISTS', rk, ARGV[4]) == 1 then return 0 end\n"
    "redis.call('HSET', rk, ARGV[4], ARGV[6])\n"
    "redis.call('SADD', p .. 'owned:' .. ARGV[2], ARGV[7])\n"
    "if ARGV[5] ~= '' then redis.call('HSET', p .. 'user:' .. ARGV[5], ARGV[7], ARGV[2]) end\n"
    "if ARGV[8] == '1' then redis.call('PUBLISH', p .. 'events', 'J' .. ARGV[6]) end\n"
    "return 1\n";

/// ARGV: prefix, room, sid, index, announce_value. Removes the member and publishes
/// its leave; when it is not there, publishes 'L'..announce_value if that is not empty
/// (a leave that happened while the server was out of reach). Returns 1 or 0.
inline constexpr std::string_view kLeave = RELAY_VALKEY_LUA_FIELD
    "local p = ARGV[1]\n"
    "local rk = p .. 'room:' .. ARGV[2]\n"
    "local v = redis.call('HGET', rk, ARGV[3])\n"
    "if not v then\n"
    "  if ARGV[5] ~= '' then\n"
    "    redis.call('PUBLISH', p .. 'events', 'L' .. ARGV[5])\n"
    "    return 1\n"
    "  end\n"
    "  return 0\n"
    "end\n"
    "redis.call('HDEL', rk, ARGV[3])\n"
    "redis.call('SREM', p .. 'owned:' .. field(v, 1), ARGV[4])\n"
    "local user = field(v, 4)\n"
    "if user ~= '' then redis.call('HDEL', p .. 'user:' .. user, ARGV[4]) end\n"
    "redis.call('PUBLISH', p .. 'events', 'L' .. v)\n"
    "return 1\n";

/// ARGV: prefix, room, 'list' | 'count'. The members whose owner is alive: their
/// values, or how many.
inline constexpr std::string_view kMembers = RELAY_VALKEY_LUA_FIELD RELAY_VALKEY_LUA_ALIVE
    "local out, n = {}, 0\n"
    "for _, v in ipairs(redis.call('HVALS', ARGV[1] .. 'room:' .. ARGV[2])) do\n"
    "  if alive(field(v, 1)) then\n"
    "    n = n + 1\n"
    "    if ARGV[3] == 'list' then out[n] = v end\n"
    "  end\n"
    "end\n"
    "if ARGV[3] == 'count' then return n end\n"
    "return out\n";

/// ARGV: prefix, user. The index fields (room+sid) of the user's live members.
inline constexpr std::string_view kRoomsOf = RELAY_VALKEY_LUA_ALIVE
    "local out = {}\n"
    "local all = redis.call('HGETALL', ARGV[1] .. 'user:' .. ARGV[2])\n"
    "for i = 1, #all, 2 do\n"
    "  if alive(all[i + 1]) then out[#out + 1] = all[i] end\n"
    "end\n"
    "return out\n";

/// ARGV: prefix. The live owners, flat: node id, number of members, node id, … (one
/// pair per owner: several owners may share a node id, the caller merges them).
inline constexpr std::string_view kNodes =
    "local p = ARGV[1]\n"
    "local out = {}\n"
    "for _, o in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do\n"
    "  local node = redis.call('GET', p .. 'node:' .. o)\n"
    "  if node then\n"
    "    out[#out + 1] = node\n"
    "    out[#out + 1] = redis.call('SCARD', p .. 'owned:' .. o)\n"
    "  end\n"
    "end\n"
    "return out\n";

/// ARGV: prefix, owner, node id, ttl ms. Sets the owner's liveness key. Returns 1 when
/// it was still set, 2 when it had expired and the reaper announced the owner's
/// members' leaves, 0 when it was simply missing (first beat, or the server lost its
/// data).
inline constexpr std::string_view kHeartbeat =
    "local p = ARGV[1]\n"
    "local k = p .. 'node:' .. ARGV[2]\n"
    "local was = redis.call('EXISTS', k)\n"
    "redis.call('SET', k, ARGV[3], 'PX', ARGV[4])\n"
    "redis.call('SADD', p .. 'nodes', ARGV[2])\n"
    "if was == 1 then return 1 end\n"
    "if redis.call('DEL', p .. 'reaped:' .. ARGV[2]) == 1 then return 2 end\n"
    "return 0\n";

/// ARGV: prefix, budget, tombstone ms, only_owner. Removes the members of owners whose
/// liveness key is gone (or, with only_owner, of that owner after deleting its key),
/// publishing a leave for each, at most `budget` per call. Returns {removed, more}.
inline constexpr std::string_view kReap = RELAY_VALKEY_LUA_FIELD
    "local p, budget, only = ARGV[1], tonumber(ARGV[2]), ARGV[4]\n"
    "local owners\n"
    "if only ~= '' then\n"
    "  redis.call('DEL', p .. 'node:' .. only)\n"
    "  owners = {only}\n"
    "else\n"
    "  owners = redis.call('SMEMBERS', p .. 'nodes')\n"
    "end\n"
    "local removed = 0\n"
    "for _, o in ipairs(owners) do\n"
    "  if redis.call('EXISTS', p .. 'node:' .. o) == 0 then\n"
    "    if only == '' then redis.call('SET', p .. 'reaped:' .. o, '1', 'PX', ARGV[3]) end\n"
    "    local ok = p .. 'owned:' .. o\n"
    "    for _, f in ipairs(redis.call('SPOP', ok, budget - removed)) do\n"
    "      local rk = p .. 'room:' .. field(f, 1)\n"
    "      local sid = field(f, 2)\n"
    "      local v = redis.call('HGET', rk, sid)\n"
    "      if v and field(v, 1) == o then\n"
    "        redis.call('HDEL', rk, sid)\n"
    "        local user = field(v, 4)\n"
    "        if user ~= '' then redis.call('HDEL', p .. 'user:' .. user, f) end\n"
    "        redis.call('PUBLISH', p .. 'events', 'L' .. v)\n"
    "      end\n"
    "      removed = removed + 1\n"
    "    end\n"
    "    if redis.call('SCARD', ok) == 0 then redis.call('SREM', p .. 'nodes', o) end\n"
    "    if removed >= budget then return {removed, 1} end\n"
    "  end\n"
    "end\n"
    "return {removed, 0}\n";

#undef RELAY_VALKEY_LUA_FIELD
#undef RELAY_VALKEY_LUA_ALIVE

}  // namespace relay::plugins::valkey::scripts
