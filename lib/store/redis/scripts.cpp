// The Lua sources. Rules they all follow: check everything first, write last (a script that
// fails half-way is not rolled back); every key name comes from ARGV[1] (the prefix) and ids.
#include "lib/store/redis/scripts.hpp"

#include <string_view>

#include "lib/store/redis/keys.hpp"
#include "lib/store/redis/lease_scripts.hpp"
#include "lib/store/redis/schedule_scripts.hpp"

namespace harness::store::redis {
namespace {

// ARGV: prefix, schema version, queue group.
constexpr std::string_view k_init = R"lua(
local P, want, group = ARGV[1], ARGV[2], ARGV[3]
local v = redis.call('GET', P .. 'schema')
if not v then
  redis.call('SET', P .. 'schema', want)
  v = want
end
if tonumber(v) == nil or tonumber(v) > tonumber(want) then return {'newer', v} end
local r = redis.pcall('XGROUP', 'CREATE', P .. 'queue', group, '0', 'MKSTREAM')
if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP', 1, true) then
  return {'error', r.err}
end
return {'ok', v}
)lua";

// ARGV: prefix, leaf id, session id, resume ("1"/"0"), the session's expected last_seq (resume),
// idempotency field ("" = none), idempotency key, request hash, owner, ts, leaf_submitted data,
// leaf row, fork source session ("" = none), fork seq, label index count, label index keys...
// A fork copies entries 1..fork seq of the source's log into the new session's log (same ids
// and fields); the leaf_submitted entry follows them.
// -> ok seq | dup leaf_id | retry | not_found msg | conflict msg | invalid msg
constexpr std::string_view k_submit = R"lua(
local P, id, sid, resume, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1', ARGV[5]
local idem, key, hash, owner = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local ts, data, row = ARGV[10], ARGV[11], ARGV[12]
local fork, fork_seq = ARGV[13], tonumber(ARGV[14])
local lk, sk = P .. 'leaf:' .. id, P .. 'ses:' .. sid
if idem ~= '' then
  local prev = redis.call('HGET', P .. 'idem', idem)
  if prev then
    local was = redis.call('HGET', P .. 'leaf:' .. prev, 'idem_hash')
    if was and was ~= '' and was ~= hash then
      return {'conflict', "idempotency key '" .. key .. "' was used for another request (leaf " ..
              prev .. '); use a new key for a new request'}
    end
    return {'dup', prev}
  end
end
local seq = 1
if resume then
  local h = redis.call('HMGET', sk, 'last_seq', 'active')
  if not h[1] then return {'not_found', 'no such session ' .. sid} end
  if h[2] then
    local st = redis.call('HGET', P .. 'leaf:' .. h[2], 'state') or 'unknown'
    return {'conflict', 'session ' .. sid .. ' has an unfinished leaf ' .. h[2] .. ' (' .. st .. ')'}
  end
  if h[1] ~= expected then return {'retry'} end
  seq = tonumber(h[1]) + 1
elseif redis.call('EXISTS', sk) == 1 then
  return {'conflict', 'session ' .. sid .. ' already exists'}
end
local fk = P .. 'ses:' .. fork
if fork ~= '' then
  local last = redis.call('HGET', fk, 'last_seq')
  if not last then return {'not_found', 'no such session ' .. fork} end
  if fork_seq < 1 or fork_seq > tonumber(last) then
    return {'invalid', 'seq ' .. fork_seq .. ' is not in session ' .. fork .. ' (its events are 1..' ..
            last .. ')'}
  end
  seq = fork_seq + 1
end
if redis.call('EXISTS', lk) == 1 then return {'conflict', 'leaf ' .. id .. ' already exists'} end
if fork ~= '' then
  local from = '1'
  while true do
    local es = redis.call('XRANGE', fk .. ':log', from, fork_seq, 'COUNT', 500)
    for _, e in ipairs(es) do redis.call('XADD', sk .. ':log', e[1], unpack(e[2])) end
    if #es < 500 then break end
    from = '(' .. es[#es][1]
  end
end
redis.call('XADD', sk .. ':log', seq .. '-0', 'leaf', id, 'type', 'leaf_submitted', 'ts', ts, 'data', data)
if not resume then redis.call('HSET', sk, 'created_at', ts, 'owner', owner) end
redis.call('HSET', sk, 'last_seq', seq, 'active', id)
local qid = redis.call('XADD', P .. 'queue', '*', 'leaf', id)
redis.call('HSET', lk, 'row', row, 'session', sid, 'state', 'queued', 'first_seq', seq,
           'last_seq', seq, 'owner', owner, 'idem', idem, 'idem_hash', hash, 'qid', qid)
redis.call('ZADD', sk .. ':leaves', 0, id)
redis.call('ZADD', P .. 'leaves', 0, id)
redis.call('ZADD', P .. 'state:queued', 0, id)
if owner ~= '' then redis.call('ZADD', P .. 'owner:' .. owner, 0, id) end
if idem ~= '' then redis.call('HSET', P .. 'idem', idem, id) end
for i = 16, 15 + tonumber(ARGV[15]) do redis.call('ZADD', ARGV[i], 0, id) end
return {'ok', seq}
)lua";

// ARGV: prefix, queue group, leaf id, the session's expected last_seq, the leaf's expected
// state, its new state, the new row, terminal ("1"/"0"), ts, has opened a gate ("1"/"0"), n,
// write token, fencing token ("" = the writer holds no lease: a verdict or cancel from any
// daemon), then n pairs (type, data). The first event carries the token (field w), so a
// write whose answer was lost can be recognised later (see k_landed). With a fencing token the
// write is refused unless the leaf's lease is still that claim's and unexpired. The lease
// follows the state: gone when the leaf ends or parks at a gate; claimable at once (handoff
// "gate") when a verdict lets a parked leaf go on.
// -> ok last_seq | retry | not_found msg | fenced msg
constexpr std::string_view k_append = R"lua(
local P, group, id, expected, old, new = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local lk = P .. 'leaf:' .. id
local h = redis.call('HMGET', lk, 'session', 'state', 'qid')
if not h[1] then return {'not_found', 'no such leaf ' .. id} end
local fence, L = ARGV[13], P .. 'leases'
if fence ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local f, exp = redis.call('HGET', lk, 'fence'), redis.call('ZSCORE', L, id)
  if f ~= fence or not exp or tonumber(exp) < now then
    return {'fenced', 'this daemon lost its lease on leaf ' .. id .. ' (fencing token ' .. fence ..
            ', the leaf is at ' .. (f or 'none') .. '); another daemon runs it'}
  end
end
local sk = P .. 'ses:' .. h[1]
local last = redis.call('HGET', sk, 'last_seq')
if last ~= expected or h[2] ~= old then return {'retry'} end
local seq, ts, n, token = tonumber(last), ARGV[9], tonumber(ARGV[11]), ARGV[12]
for i = 0, n - 1 do
  seq = seq + 1
  if i == 0 then
    redis.call('XADD', sk .. ':log', seq .. '-0', 'leaf', id, 'type', ARGV[14], 'ts', ts,
               'data', ARGV[15], 'w', token)
  else
    redis.call('XADD', sk .. ':log', seq .. '-0', 'leaf', id, 'type', ARGV[14 + 2 * i], 'ts', ts,
               'data', ARGV[15 + 2 * i])
  end
end
if ARGV[8] == '1' or new == 'awaiting_approval' then
  redis.call('ZREM', L, id)
elseif old == 'awaiting_approval' then
  redis.call('ZADD', L, 0, id)
  redis.call('HSET', lk, 'handoff', 'gate')
end
redis.call('HSET', sk, 'last_seq', seq)
redis.call('HSET', lk, 'row', ARGV[7], 'state', new, 'last_seq', seq)
if ARGV[10] == '1' then redis.call('HSET', lk, 'gated', '1') end
if old ~= new then
  redis.call('ZREM', P .. 'state:' .. old, id)
  redis.call('ZADD', P .. 'state:' .. new, 0, id)
end
if new ~= 'queued' and h[3] then
  redis.call('XACK', P .. 'queue', group, h[3])
  redis.call('XDEL', P .. 'queue', h[3])
  redis.call('HDEL', lk, 'qid')
end
if ARGV[8] == '1' and redis.call('HGET', sk, 'active') == id then redis.call('HDEL', sk, 'active') end
return {'ok', seq}
)lua";

// ARGV: prefix, leaf id, write token, first seq, last seq -> ok row entries... when the event at
// `first seq` of the leaf's session carries the token (that append was written), else no.
constexpr std::string_view k_landed = R"lua(
local h = redis.call('HMGET', ARGV[1] .. 'leaf:' .. ARGV[2], 'row', 'session')
if not h[1] then return {'no'} end
local es = redis.call('XRANGE', ARGV[1] .. 'ses:' .. h[2] .. ':log', ARGV[4], ARGV[5])
if #es == 0 then return {'no'} end
local f, w = es[1][2], nil
for i = 1, #f - 1, 2 do
  if f[i] == 'w' then w = f[i + 1] end
end
if w ~= ARGV[3] then return {'no'} end
local out = {'ok', h[1]}
for _, e in ipairs(es) do out[#out + 1] = e end
return out
)lua";

// ARGV: prefix, leaf id -> ok row last_seq | not_found msg
constexpr std::string_view k_load = R"lua(
local h = redis.call('HMGET', ARGV[1] .. 'leaf:' .. ARGV[2], 'row', 'session')
if not h[1] then return {'not_found', 'no such leaf ' .. ARGV[2]} end
return {'ok', h[1], redis.call('HGET', ARGV[1] .. 'ses:' .. h[2], 'last_seq')}
)lua";

// ARGV: prefix, leaf id -> ok row entry | not_found msg
constexpr std::string_view k_submitted = R"lua(
local h = redis.call('HMGET', ARGV[1] .. 'leaf:' .. ARGV[2], 'row', 'session', 'first_seq')
if not h[1] then return {'not_found', 'no such leaf ' .. ARGV[2]} end
local e = redis.call('XRANGE', ARGV[1] .. 'ses:' .. h[2] .. ':log', h[3], h[3])
return {'ok', h[1], e[1] or false}
)lua";

// ARGV: prefix, session id -> ok created_at last_seq owner rows... | not_found msg
constexpr std::string_view k_session = R"lua(
local sk = ARGV[1] .. 'ses:' .. ARGV[2]
local h = redis.call('HMGET', sk, 'created_at', 'last_seq', 'owner')
if not h[1] then return {'not_found', 'no such session ' .. ARGV[2]} end
local out = {'ok', h[1], h[2], h[3] or ''}
for _, id in ipairs(redis.call('ZRANGE', sk .. ':leaves', 0, -1)) do
  out[#out + 1] = redis.call('HGET', ARGV[1] .. 'leaf:' .. id, 'row')
end
return out
)lua";

// ARGV: prefix, index key, cursor ("" = from the newest), rows wanted, state, session, label
// index key ("" = any), owner filter ("1"/"0"), owner, or gated ("1"/"0") -> ok rows...
// (newest first). Walks the index in batches from the cursor down and keeps the leaves matching
// every filter; with the owner filter, a leaf matches when it has that owner, or (or gated) when
// it has ever opened a gate.
constexpr std::string_view k_list = R"lua(
local P, idx, cursor, want = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local state, session, label = ARGV[5], ARGV[6], ARGV[7]
local by_owner, owner, or_gated = ARGV[8] == '1', ARGV[9], ARGV[10] == '1'
local max = '+'
if cursor ~= '' then max = '(' .. cursor end
local out = {'ok'}
while true do
  local ids = redis.call('ZREVRANGEBYLEX', idx, max, '-', 'LIMIT', 0, 200)
  for _, id in ipairs(ids) do
    local h = redis.call('HMGET', P .. 'leaf:' .. id, 'row', 'state', 'session', 'owner', 'gated')
    if h[1] and (state == '' or h[2] == state) and (session == '' or h[3] == session)
        and (not by_owner or h[4] == owner or (or_gated and h[5] == '1'))
        and (label == '' or redis.call('ZSCORE', label, id)) then
      out[#out + 1] = h[1]
      if #out > want then return out end
    end
  end
  if #ids < 200 then return out end
  max = '(' .. ids[#ids]
end
)lua";

// ARGV: prefix, states... -> ok rows... (by id: oldest first)
constexpr std::string_view k_unfinished = R"lua(
local ids = {}
for i = 2, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', ARGV[1] .. 'state:' .. ARGV[i], 0, -1)) do
    ids[#ids + 1] = id
  end
end
table.sort(ids)
local out = {'ok'}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HGET', ARGV[1] .. 'leaf:' .. id, 'row') end
return out
)lua";

// ARGV: prefix, session id, after seq, leaf id ("" = all), limit (0 = none)
// -> ok entries... | not_found msg. A leaf's events lie between its first_seq and last_seq
// (a session runs one leaf at a time), so only that range is read.
constexpr std::string_view k_events = R"lua(
local P, sid, leaf = ARGV[1], ARGV[2], ARGV[4]
local after, limit = tonumber(ARGV[3]), tonumber(ARGV[5])
local sk = P .. 'ses:' .. sid
if redis.call('EXISTS', sk) == 0 then return {'not_found', 'no such session ' .. sid} end
local start, stop = after + 1, '+'
if leaf ~= '' then
  local h = redis.call('HMGET', P .. 'leaf:' .. leaf, 'session', 'first_seq', 'last_seq')
  if h[1] ~= sid then return {'ok'} end
  start = math.max(start, tonumber(h[2]))
  stop = h[3]
end
local out = {'ok'}
local from = string.format('%d', start)
while true do
  local es = redis.call('XRANGE', sk .. ':log', from, stop, 'COUNT', 500)
  for _, e in ipairs(es) do
    if leaf == '' or e[2][2] == leaf then
      out[#out + 1] = e
      if limit > 0 and #out > limit then return out end
    end
  end
  if #es < 500 then return out end
  from = '(' .. es[#es][1]
end
)lua";

constexpr std::array<std::string_view, k_script_count> k_bodies = {k_init,
                                                                   k_submit,
                                                                   k_append,
                                                                   k_load,
                                                                   k_submitted,
                                                                   k_session,
                                                                   k_list,
                                                                   k_unfinished,
                                                                   k_events,
                                                                   k_landed,
                                                                   k_register_script,
                                                                   k_claim_script,
                                                                   k_release_script,
                                                                   k_put_schedule_script,
                                                                   k_get_schedules_script,
                                                                   k_delete_schedule_script,
                                                                   k_pause_schedule_script,
                                                                   k_claim_firing_script,
                                                                   k_update_firing_script,
                                                                   k_open_firings_script,
                                                                   k_pod_lease_script};

// Every ScriptId has its body (an id added without one would load an empty script).
constexpr bool all_bodies() {
  for (auto b : k_bodies)
    if (b.empty()) return false;
  return true;
}
static_assert(all_bodies(), "a script id without its Lua body");

}  // namespace

std::string_view script_status(const Reply& r) {
  if (!r.is_array()) return {};
  return r.at(0).text().value_or(std::string_view());
}

void Scripts::load_all(Connection& conn, std::function<void(Status)> done) {
  load_from(conn, 0, std::move(done));
}

void Scripts::load_from(Connection& conn, size_t i, std::function<void(Status)> done) {
  if (i == k_script_count) return done({});
  conn.command({"SCRIPT", "LOAD", std::string(k_bodies[i])},
               [this, &conn, i, done = std::move(done)](Result<Reply> r) mutable {
                 if (!r) return done(r.error());
                 auto sha = r->text();
                 if (r->is_error() || !sha)
                   return done(make_error(ErrorCode::unavailable, "SCRIPT LOAD failed: " + r->str));
                 m_sha[i] = std::string(*sha);
                 load_from(conn, i + 1, std::move(done));
               });
}

void Scripts::run(Connection& conn, ScriptId id, std::vector<std::string> args,
                  Connection::ReplyFn fn) {
  auto i = static_cast<size_t>(id);
  std::vector<std::string> argv;
  argv.reserve(args.size() + 4);
  argv.insert(argv.end(), {"EVALSHA", m_sha[i], "0", std::string(k_prefix)});
  for (auto& a : args) argv.push_back(std::move(a));
  conn.command(argv, [&conn, i, argv, fn = std::move(fn)](Result<Reply> r) mutable {
    if (r && r->is_error() && r->str.rfind("NOSCRIPT", 0) == 0) {
      argv[0] = "EVAL";
      argv[1] = std::string(k_bodies[i]);
      return conn.command(std::move(argv), std::move(fn));
    }
    fn(std::move(r));
  });
}

}  // namespace harness::store::redis
