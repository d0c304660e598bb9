import type { LuaScript } from "./lua-script.js";

/**
 * A thread's keys all start with KEYS[1], the thread base `prefix:ns:{t:threadId}:`, so they share
 * one Cluster slot and each script below is atomic over the whole thread. `~x` is x with every NUL
 * written NUL 0xFF (a byte UTF-8 never holds), so the first other NUL ends it and order is kept:
 *   ids   sorted set `~id \0 ns`   (newest first across namespaces)
 *   byns  sorted set `~ns \0 id`   (newest first within one namespace)
 *   nss   set of namespaces       keys  set of every record key (for deleteThread and countThread)
 *   wseq  counter ordering writes
 *   cp:~ns\0id  hash {h = header JSON, d = payload, bf = JSON list of blob fields}
 *   w:~ns\0id   hash taskId\0index -> "seq\n" .. header JSON .. "\n" .. value
 *   b:ns       hash JSON [channel, version] -> value
 * Thread-level keys live as long as the longest-lived record in them (PEXPIRE only ever raised).
 */
const HELPERS = `
local base = KEYS[1]
local ids, byns, nss, keyset, wseq = base .. 'ids', base .. 'byns', base .. 'nss', base .. 'keys', base .. 'wseq'
local function esc(text) return (string.gsub(text, '%z', '\\0\\255')) end
local function unesc(text) return (string.gsub(text, '%z\\255', '\\0')) end
-- Splits '~a NUL b' into a, b.
local function split(member)
  local from = 1
  while true do
    local cut = string.find(member, '\\0', from, true)
    if string.byte(member, cut + 1) ~= 255 then return unesc(string.sub(member, 1, cut - 1)), string.sub(member, cut + 1) end
    from = cut + 2
  end
end
local function idsMember(ns, id) return esc(id) .. '\\0' .. ns end
local function nsStart(ns) return esc(ns) .. '\\0' end
local function cpKey(ns, id) return base .. 'cp:' .. nsStart(ns) .. id end
local function wKey(ns, id) return base .. 'w:' .. nsStart(ns) .. id end
local function bKey(ns) return base .. 'b:' .. ns end
-- Raise a key's expiry to px ms ('' = never), never lower it; a key just created takes px.
local function keepFor(key, px, created)
  if px == '' then
    redis.call('PERSIST', key)
    return
  end
  local current = redis.call('PTTL', key)
  if created or (current >= 0 and current < tonumber(px)) then redis.call('PEXPIRE', key, px) end
end
-- Drop a checkpoint and its writes from the thread's records and indexes.
local function forget(ns, id)
  redis.call('DEL', cpKey(ns, id), wKey(ns, id))
  redis.call('SREM', keyset, cpKey(ns, id), wKey(ns, id))
  redis.call('ZREM', ids, idsMember(ns, id))
  redis.call('ZREM', byns, nsStart(ns) .. id)
end
`;

/** ARGV: id, ns, px, header, payload, blobFields, then field/value pairs of new blobs. */
export const checkpointPut: LuaScript = {
  name: "stowageCheckpointPut",
  numberOfKeys: 1,
  lua: `${HELPERS}
local id, ns, px = ARGV[1], ARGV[2], ARGV[3]
local record = cpKey(ns, id)
local fresh = {}
for _, key in ipairs({ids, byns, nss, keyset}) do fresh[key] = redis.call('EXISTS', key) == 0 end
redis.call('ZADD', ids, 0, idsMember(ns, id))
redis.call('ZADD', byns, 0, nsStart(ns) .. id)
redis.call('SADD', nss, ns)
redis.call('DEL', record)
redis.call('HSET', record, 'h', ARGV[4], 'd', ARGV[5], 'bf', ARGV[6])
if px ~= '' then redis.call('PEXPIRE', record, px) end
redis.call('SADD', keyset, record)
if #ARGV > 6 then
  local blobs = bKey(ns)
  local created = redis.call('EXISTS', blobs) == 0
  -- A blob is immutable: the first write of a version wins, so no put changes what an older checkpoint reads.
  for i = 7, #ARGV, 2 do redis.call('HSETNX', blobs, ARGV[i], ARGV[i + 1]) end
  redis.call('SADD', keyset, blobs)
  keepFor(blobs, px, created)
end
for _, key in ipairs({ids, byns, nss, keyset}) do keepFor(key, px, fresh[key]) end
return 1
`,
};

/** Finds the newest live checkpoint of ns (lazily dropping index entries of expired ones); returns its id or false. */
const NEWEST = `
local function newest(ns)
  local start = nsStart(ns)
  local max = '(' .. start .. '\\255'
  while true do
    local page = redis.call('ZREVRANGEBYLEX', byns, max, '[' .. start, 'LIMIT', 0, 16)
    if #page == 0 then return false end
    for _, member in ipairs(page) do
      local id = string.sub(member, #start + 1)
      if redis.call('EXISTS', cpKey(ns, id)) == 1 then return id end
      forget(ns, id)
    end
    max = '(' .. page[#page]
  end
end
`;

/** ARGV: ns, id ('' for the newest). Returns {id, header, payload, {blob field, value, …}, {write, …}} or false. */
export const checkpointGet: LuaScript = {
  name: "stowageCheckpointGet",
  numberOfKeys: 1,
  lua: `${HELPERS}${NEWEST}
local ns, id = ARGV[1], ARGV[2]
if id == '' then
  id = newest(ns)
  if not id then return false end
end
local record = cpKey(ns, id)
local fields = redis.call('HMGET', record, 'h', 'd', 'bf')
if not fields[1] then return false end
local blobs = {}
local names = cjson.decode(fields[3])
if #names > 0 then
  local values = redis.call('HMGET', bKey(ns), unpack(names))
  for i, name in ipairs(names) do
    if values[i] then
      blobs[#blobs + 1] = name
      blobs[#blobs + 1] = values[i]
    end
  end
end
return {id, fields[1], fields[2], blobs, redis.call('HVALS', wKey(ns, id))}
`,
};

/**
 * ARGV: ns ('' with ARGV[4] = 'all' for every namespace), before ('' for none), limit, scope.
 * Returns a flat list of ns, id, header, payload for up to limit live checkpoints, newest first.
 */
export const checkpointListThread: LuaScript = {
  name: "stowageCheckpointListThread",
  numberOfKeys: 1,
  lua: `${HELPERS}
local ns, before, limit, scope = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local index, max, min
local start = nsStart(ns)
if scope == 'all' then
  index, min = ids, '-'
  max = before ~= '' and ('(' .. esc(before)) or '+'
else
  index, min = byns, '[' .. start
  max = before ~= '' and ('(' .. start .. before) or ('(' .. start .. '\\255')
end
local out, found = {}, 0
while found < limit do
  local page = redis.call('ZREVRANGEBYLEX', index, max, min, 'LIMIT', 0, limit - found + 4)
  if #page == 0 then break end
  for _, member in ipairs(page) do
    local memberNs, id
    if scope == 'all' then
      id, memberNs = split(member)
    else
      memberNs, id = ns, string.sub(member, #start + 1)
    end
    local fields = redis.call('HMGET', cpKey(memberNs, id), 'h', 'd')
    if fields[1] then
      if found < limit then
        out[#out + 1] = memberNs
        out[#out + 1] = id
        out[#out + 1] = fields[1]
        out[#out + 1] = fields[2]
        found = found + 1
      end
    else
      forget(memberNs, id)
    end
  end
  max = '(' .. page[#page]
end
return out
`,
};

/** ARGV: ns, id, then triples (field, keep-if-present '1'|'0', body). A replaced write keeps its place in the order. */
export const checkpointPutWrites: LuaScript = {
  name: "stowageCheckpointPutWrites",
  numberOfKeys: 1,
  lua: `${HELPERS}
local ns, id = ARGV[1], ARGV[2]
local writes = wKey(ns, id)
local created = redis.call('EXISTS', writes) == 0
local fresh = {}
for _, key in ipairs({keyset, wseq}) do fresh[key] = redis.call('EXISTS', key) == 0 end
for i = 3, #ARGV, 3 do
  local field, keep, body = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local existing = redis.call('HGET', writes, field)
  if not existing then
    redis.call('HSET', writes, field, redis.call('INCR', wseq) .. '\\n' .. body)
  elseif keep ~= '1' then
    local seq = string.match(existing, '^(%d+)\\n')
    redis.call('HSET', writes, field, seq .. '\\n' .. body)
  end
end
redis.call('SADD', keyset, writes)
-- Writes live as long as their checkpoint (or the thread, when it is not stored yet).
local ttl = redis.call('PTTL', cpKey(ns, id))
if ttl == -2 then ttl = redis.call('PTTL', ids) end
local px = ''
if ttl > 0 then px = tostring(ttl) end
for _, key in ipairs({writes, keyset, wseq}) do
  keepFor(key, px, key == writes and created or fresh[key])
end
return 1
`,
};

/** Returns the thread's checkpoints as a flat list id, ns, id, ns, …, then removes every key of it. */
export const checkpointDeleteThread: LuaScript = {
  name: "stowageCheckpointDeleteThread",
  numberOfKeys: 1,
  lua: `${HELPERS}
local out = {}
for _, member in ipairs(redis.call('ZRANGE', ids, 0, -1)) do
  local id, ns = split(member)
  out[#out + 1] = id
  out[#out + 1] = ns
end
for _, key in ipairs(redis.call('SMEMBERS', keyset)) do redis.call('UNLINK', key) end
redis.call('UNLINK', ids, byns, nss, keyset, wseq)
return out
`,
};

/**
 * ARGV: keepLast, ns ('' with ARGV[3] = 'all' for every namespace). Returns {removed count, {id, ns, …}
 * of removed checkpoints, 1 when the thread is left empty (its write counter and key set are gone too)}.
 */
export const checkpointPrune: LuaScript = {
  name: "stowageCheckpointPrune",
  numberOfKeys: 1,
  lua: `${HELPERS}
local keepLast, onlyNs, scope = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local namespaces = scope == 'all' and redis.call('SMEMBERS', nss) or {onlyNs}
local removed, gone = 0, {}
for _, ns in ipairs(namespaces) do
  local start = nsStart(ns)
  local members = redis.call('ZREVRANGEBYLEX', byns, '(' .. start .. '\\255', '[' .. start)
  local kept, named = 0, {}
  for _, member in ipairs(members) do
    local id = string.sub(member, #start + 1)
    local bf = redis.call('HGET', cpKey(ns, id), 'bf')
    if bf and kept < keepLast then
      kept = kept + 1
      for _, name in ipairs(cjson.decode(bf)) do named[name] = true end
    else
      if bf then removed = removed + 1 end
      forget(ns, id)
      gone[#gone + 1] = id
      gone[#gone + 1] = ns
    end
  end
  local blobs = bKey(ns)
  for _, name in ipairs(redis.call('HKEYS', blobs)) do
    if not named[name] then redis.call('HDEL', blobs, name) end
  end
  if redis.call('EXISTS', blobs) == 0 then redis.call('SREM', keyset, blobs) end
  if kept == 0 then redis.call('SREM', nss, ns) end
end
-- A thread pruned to nothing leaves nothing: pending writes of checkpoints never stored, the counter.
local empty = 0
if redis.call('EXISTS', ids) == 0 then
  for _, key in ipairs(redis.call('SMEMBERS', keyset)) do redis.call('UNLINK', key) end
  redis.call('UNLINK', byns, nss, keyset, wseq)
  empty = 1
end
return {removed, gone, empty}
`,
};

/** Counts the thread's records: checkpoints, blobs, writes, and the two index entries per checkpoint. */
export const checkpointCount: LuaScript = {
  name: "stowageCheckpointCount",
  numberOfKeys: 1,
  lua: `${HELPERS}
local count = redis.call('ZCARD', ids) + redis.call('ZCARD', byns)
for _, key in ipairs(redis.call('SMEMBERS', keyset)) do
  local kind = string.sub(key, #base + 1, #base + 2)
  if kind == 'cp' then
    count = count + redis.call('EXISTS', key)
  else
    count = count + redis.call('HLEN', key)
  end
end
return count
`,
};

/** ARGV: ns, id of a checkpoint the global index named: when its record is gone, drop what is left of it. Returns 1 when it did. */
export const checkpointForgetExpired: LuaScript = {
  name: "stowageCheckpointForgetExpired",
  numberOfKeys: 1,
  lua: `${HELPERS}
local ns, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', cpKey(ns, id)) == 1 then return 0 end
local writes = redis.call('HLEN', wKey(ns, id))
forget(ns, id)
return 1 + writes
`,
};

export const CHECKPOINT_SCRIPTS = [
  checkpointPut,
  checkpointGet,
  checkpointListThread,
  checkpointPutWrites,
  checkpointDeleteThread,
  checkpointPrune,
  checkpointCount,
  checkpointForgetExpired,
] as const;
