#pragma once
// The Lua sources of the lease scripts (several daemons on one Redis; docs/redis.md "Several
// daemons"). Keys, besides keys.hpp: harness:node:NAME (string: the live instance, expires
// after the node's ttl), harness:leases (zset: leaf id -> lease expiry in ms of Redis' clock),
// and the leaf hash fields node, fence (the last claim's fencing token) and handoff ("gate":
// a verdict handed the leaf on). Every time is Redis' TIME, so the daemons' clocks do not
// matter.

#include <string_view>

namespace harness::store::redis {

// ARGV: prefix, node, instance, ttl ms -> ok | conflict msg
inline constexpr std::string_view k_register_script = R"lua(
local nk = ARGV[1] .. 'node:' .. ARGV[2]
local cur = redis.call('GET', nk)
if cur and cur ~= ARGV[3] then
  return {'conflict', 'node ' .. ARGV[2] .. ' is live: another harnessd renewed that name within ' ..
          ARGV[4] .. ' ms; give each daemon its own node name'}
end
redis.call('SET', nk, ARGV[3], 'PX', ARGV[4])
return {'ok'}
)lua";

// ARGV: prefix, queue group, node, instance, lease ttl ms, want, n held, then n pairs (leaf id,
// fence). Renews the node and every held lease still valid (same fence, not expired); claims
// up to `want` leaves: expired leases first (a dead or paused daemon's), then the queue
// (XREADGROUP, oldest entry first).
// -> ok {lost ids} {row, fence, how}... | conflict msg; how: 0 its lease expired, 1 a verdict
// handed it on, 2 its daemon released it
inline constexpr std::string_view k_claim_script = R"lua(
local P, group, node, inst = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, want, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nk, L = P .. 'node:' .. node, P .. 'leases'
local cur = redis.call('GET', nk)
if cur and cur ~= inst then
  return {'conflict', 'node ' .. node .. ' was taken by another harnessd while this one was away'}
end
redis.call('SET', nk, inst, 'PX', ttl)
local lost = {}
for i = 0, n - 1 do
  local id, fence = ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  local exp = redis.call('ZSCORE', L, id)
  if redis.call('HGET', P .. 'leaf:' .. id, 'fence') == fence and exp and tonumber(exp) >= now then
    redis.call('ZADD', L, now + ttl, id)
  else
    lost[#lost + 1] = id
  end
end
local out = {'ok', lost}
local function take(id, lk, gate)
  local fence = redis.call('HINCRBY', lk, 'fence', 1)
  redis.call('HSET', lk, 'node', node)
  redis.call('HDEL', lk, 'handoff', 'qid')
  redis.call('ZADD', L, now + ttl, id)
  out[#out + 1] = {redis.call('HGET', lk, 'row'), fence, gate}
  want = want - 1
end
if want > 0 then
  local exp = redis.call('ZRANGEBYSCORE', L, '-inf', '(' .. now, 'WITHSCORES', 'LIMIT', 0, want)
  for i = 1, #exp - 1, 2 do
    local id, lk = exp[i], P .. 'leaf:' .. exp[i]
    local h = redis.call('HMGET', lk, 'state', 'handoff')
    if h[1] == 'queued' or h[1] == 'running' then
      local how = 0
      if h[2] == 'gate' then how = 1 elseif tonumber(exp[i + 1]) == 0 then how = 2 end
      take(id, lk, how)
    else
      redis.call('ZREM', L, id)
    end
  end
end
if want > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', group, node, 'COUNT', want, 'STREAMS', P .. 'queue', '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      local f, id = e[2], nil
      for i = 1, #f - 1, 2 do
        if f[i] == 'leaf' then id = f[i + 1] end
      end
      redis.call('XACK', P .. 'queue', group, e[1])
      redis.call('XDEL', P .. 'queue', e[1])
      if id then
        local lk = P .. 'leaf:' .. id
        if redis.call('HGET', lk, 'state') == 'queued' and not redis.call('ZSCORE', L, id) then
          take(id, lk, 0)
        end
      end
    end
  end
end
return out
)lua";

// ARGV: prefix, leaf id, fence -> ok. The holder gives the leaf back: claimable at once when
// it is still queued or running; a lease no longer held (fence moved on) is left alone.
inline constexpr std::string_view k_release_script = R"lua(
local lk = ARGV[1] .. 'leaf:' .. ARGV[2]
local h = redis.call('HMGET', lk, 'fence', 'state')
if h[1] ~= ARGV[3] or not redis.call('ZSCORE', ARGV[1] .. 'leases', ARGV[2]) then return {'ok'} end
if h[2] == 'queued' or h[2] == 'running' then
  redis.call('ZADD', ARGV[1] .. 'leases', 0, ARGV[2])
else
  redis.call('ZREM', ARGV[1] .. 'leases', ARGV[2])
end
return {'ok'}
)lua";

// kubectl pod leases (max_leaves_per_pod across daemons). Keys: harness:pod:POOL:POD (zset:
// holder leaf id -> lease expiry, ms of Redis' clock; expired members are pruned here before
// counting) and harness:podheld:POOL (hash: holder -> its pod).
// ARGV: prefix, op, pool, ttl ms, then
//   acquire: cap, holder, pods... -> ok [pod]   (nothing when every pod is at the cap)
//   renew:   holders...           -> ok lost... (holders whose lease expired or was given back)
//   release: holder               -> ok
inline constexpr std::string_view k_pod_lease_script = R"lua(
local P, op, pool, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hk = P .. 'podheld:' .. pool
local function zk(pod) return P .. 'pod:' .. pool .. ':' .. pod end
local function live(holder)
  local pod = redis.call('HGET', hk, holder)
  if not pod then return nil end
  local exp = redis.call('ZSCORE', zk(pod), holder)
  if exp and tonumber(exp) >= now then return pod end
  redis.call('ZREM', zk(pod), holder)
  redis.call('HDEL', hk, holder)
  return nil
end
if op == 'release' then
  local pod = redis.call('HGET', hk, ARGV[5])
  if pod then redis.call('ZREM', zk(pod), ARGV[5]) end
  redis.call('HDEL', hk, ARGV[5])
  return {'ok'}
end
if op == 'renew' then
  local out = {'ok'}
  for i = 5, #ARGV do
    local pod = live(ARGV[i])
    if pod then redis.call('ZADD', zk(pod), now + ttl, ARGV[i]) else out[#out + 1] = ARGV[i] end
  end
  return out
end
local cap, holder = tonumber(ARGV[5]), ARGV[6]
local have = live(holder)
if have then
  for i = 7, #ARGV do
    if ARGV[i] == have then
      redis.call('ZADD', zk(have), now + ttl, holder)
      return {'ok', have}
    end
  end
  redis.call('ZREM', zk(have), holder)
  redis.call('HDEL', hk, holder)
end
local best, bestn = nil, nil
for i = 7, #ARGV do
  local k = zk(ARGV[i])
  local gone = redis.call('ZRANGEBYSCORE', k, '-inf', '(' .. now)
  for _, h in ipairs(gone) do redis.call('HDEL', hk, h) end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. now)
  local n = redis.call('ZCARD', k)
  if n < cap and (bestn == nil or n < bestn) then best, bestn = ARGV[i], n end
end
if not best then return {'ok'} end
redis.call('ZADD', zk(best), now + ttl, holder)
redis.call('HSET', hk, holder, best)
return {'ok', best}
)lua";

}  // namespace harness::store::redis
