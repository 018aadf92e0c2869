#pragma once
// The Lua sources of the schedule scripts (ScheduleStore on Redis; docs/redis.md "Schedules").
// Keys, besides keys.hpp:
//
//   harness:schedules          zset    every schedule name (score 0: ordered by name, bytewise
//                                      like SQLite's ORDER BY name)
//   harness:schedule:NAME      hash    spec, owner, created_by, source, paused ("1"/"0"),
//                                      created_at, last_fire, last_leaf
//   harness:firings:NAME       hash    scheduled time -> "STATE CREATED_AT LEAF" (the firing;
//                                      HSETNX makes a time claimable once)
//   harness:openfirings        zset    "SCHEDULED:NAME" of every firing in state claimed or
//                                      waiting, scored by its created_at
//
// Each script checks first and writes last, like the leaf scripts.

#include <string_view>

namespace harness::store::redis {

// The fields of a schedule hash in the order every script answers them.
// ARGV: prefix, name, spec, owner, created_by, source, paused, created_at, last_fire, last_leaf,
// replace ("1"/"0") -> ok fields... | conflict msg
inline constexpr std::string_view k_put_schedule_script = R"lua(
local P, name = ARGV[1], ARGV[2]
local k = P .. 'schedule:' .. name
local F = {'spec', 'owner', 'created_by', 'source', 'paused', 'created_at', 'last_fire', 'last_leaf'}
if redis.call('EXISTS', k) == 1 then
  if ARGV[11] ~= '1' then
    return {'conflict', 'schedule ' .. name .. ' exists; remove it first (schedule rm)'}
  end
  redis.call('HSET', k, 'spec', ARGV[3], 'owner', ARGV[4], 'created_by', ARGV[5], 'source', ARGV[6])
else
  redis.call('HSET', k, 'spec', ARGV[3], 'owner', ARGV[4], 'created_by', ARGV[5], 'source', ARGV[6],
             'paused', ARGV[7], 'created_at', ARGV[8], 'last_fire', ARGV[9], 'last_leaf', ARGV[10])
  redis.call('ZADD', P .. 'schedules', 0, name)
end
local out = {'ok', name}
for _, v in ipairs(redis.call('HMGET', k, unpack(F))) do out[#out + 1] = v end
return out
)lua";

// ARGV: prefix, name ("" = every schedule) -> ok {name, fields...}... (a vanished name is
// skipped; not_found for the one name asked)
inline constexpr std::string_view k_get_schedules_script = R"lua(
local P, one = ARGV[1], ARGV[2]
local F = {'spec', 'owner', 'created_by', 'source', 'paused', 'created_at', 'last_fire', 'last_leaf'}
local names = {one}
if one == '' then names = redis.call('ZRANGE', P .. 'schedules', 0, -1) end
local out = {'ok'}
for _, name in ipairs(names) do
  local k = P .. 'schedule:' .. name
  if redis.call('EXISTS', k) == 1 then
    local rec = {name}
    for _, v in ipairs(redis.call('HMGET', k, unpack(F))) do rec[#rec + 1] = v end
    out[#out + 1] = rec
  elseif one ~= '' then
    return {'not_found', 'no such schedule ' .. one}
  end
end
return out
)lua";

// ARGV: prefix, name -> ok | not_found msg. Removes the schedule and its firings.
inline constexpr std::string_view k_delete_schedule_script = R"lua(
local P, name = ARGV[1], ARGV[2]
local k, fk = P .. 'schedule:' .. name, P .. 'firings:' .. name
if redis.call('EXISTS', k) == 0 then return {'not_found', 'no such schedule ' .. name} end
local f = redis.call('HKEYS', fk)
for _, t in ipairs(f) do redis.call('ZREM', P .. 'openfirings', t .. ':' .. name) end
redis.call('DEL', k, fk)
redis.call('ZREM', P .. 'schedules', name)
return {'ok'}
)lua";

// ARGV: prefix, name, paused ("1"/"0"), now ms -> ok fields... | not_found msg. Resuming
// raises last_fire to now: the times that passed while paused are not "missed".
inline constexpr std::string_view k_pause_schedule_script = R"lua(
local P, name = ARGV[1], ARGV[2]
local k = P .. 'schedule:' .. name
local F = {'spec', 'owner', 'created_by', 'source', 'paused', 'created_at', 'last_fire', 'last_leaf'}
if redis.call('EXISTS', k) == 0 then return {'not_found', 'no such schedule ' .. name} end
redis.call('HSET', k, 'paused', ARGV[3])
if ARGV[3] == '0' then
  local last = tonumber(redis.call('HGET', k, 'last_fire') or '0') or 0
  local now = tonumber(ARGV[4])
  if now > last then redis.call('HSET', k, 'last_fire', ARGV[4]) end
end
local out = {'ok', name}
for _, v in ipairs(redis.call('HMGET', k, unpack(F))) do out[#out + 1] = v end
return out
)lua";

// ARGV: prefix, name, scheduled, state, leaf, now ms, manual ("1"/"0") -> ok 1|0 | not_found.
// Writes the firing unless that time has one (then 0, nothing written) and, unless manual,
// raises the schedule's last_fire to `scheduled`.
inline constexpr std::string_view k_claim_firing_script = R"lua(
local P, name, t, state = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local k = P .. 'schedule:' .. name
if redis.call('EXISTS', k) == 0 then return {'not_found', 'no such schedule ' .. name} end
if redis.call('HSETNX', P .. 'firings:' .. name, t, state .. ' ' .. ARGV[6] .. ' ' .. ARGV[5]) == 0 then
  return {'ok', 0}
end
if state == 'claimed' or state == 'waiting' then
  redis.call('ZADD', P .. 'openfirings', ARGV[6], t .. ':' .. name)
end
if ARGV[7] ~= '1' then
  local last = tonumber(redis.call('HGET', k, 'last_fire') or '0') or 0
  if tonumber(t) > last then redis.call('HSET', k, 'last_fire', t) end
end
return {'ok', 1}
)lua";

// ARGV: prefix, name, scheduled, state, leaf -> ok. Sets the firing's state and leaf (a firing
// that is gone is left alone) and, when a leaf is given, the schedule's last_leaf.
inline constexpr std::string_view k_update_firing_script = R"lua(
local P, name, t, state, leaf = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local fk, member = P .. 'firings:' .. name, ARGV[3] .. ':' .. ARGV[2]
local cur = redis.call('HGET', fk, t)
if cur then
  local created = string.match(cur, '^%S+ (%d+)') or '0'
  redis.call('HSET', fk, t, state .. ' ' .. created .. ' ' .. leaf)
  if state == 'claimed' or state == 'waiting' then
    redis.call('ZADD', P .. 'openfirings', created, member)
  else
    redis.call('ZREM', P .. 'openfirings', member)
  end
end
if leaf ~= '' and redis.call('EXISTS', P .. 'schedule:' .. name) == 1 then
  redis.call('HSET', P .. 'schedule:' .. name, 'last_leaf', leaf)
end
return {'ok'}
)lua";

// ARGV: prefix -> ok {name, scheduled, firing}... oldest created_at first.
inline constexpr std::string_view k_open_firings_script = R"lua(
local P = ARGV[1]
local out = {'ok'}
for _, m in ipairs(redis.call('ZRANGE', P .. 'openfirings', 0, -1)) do
  local t, name = string.match(m, '^(%d+):(.*)$')
  if t then
    local v = redis.call('HGET', P .. 'firings:' .. name, t)
    if v then out[#out + 1] = {name, t, v} end
  end
end
return out
)lua";

}  // namespace harness::store::redis
