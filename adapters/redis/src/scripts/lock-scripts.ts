import type { LuaScript } from "./lua-script.js";

/**
 * The next fencing token of a name: its counter + 1, but never below the server clock in µs, so
 * a Redis that restarted without persistence (counter lost) still hands out larger tokens.
 * `%.0f` prints the double exactly (tokens stay below 2^53 until about year 2255). Needs QUEUE's `clock`.
 */
const NEXT_TOKEN = `
local floor = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local token = tonumber(redis.call('GET', KEYS[2]) or '0') + 1
if token < floor then token = floor end
`;

/**
 * The fair queue of a name (key-layout.ts: queueKey and queueDeadlineKey, in the lease's slot): a
 * ZSET of waiter places (score = arrival, member = waiter address) and a ZSET of their deadlines
 * (score = server time in ms). A place whose deadline has passed is lapsed: its waiter stopped
 * refreshing it (crashed, or its process hung), and it is dropped when it reaches the head.
 * `liveHead` returns the first live place (nil when none). `now()` reads TIME once, and only when
 * needed: a release with nobody queued costs no TIME call.
 */
const QUEUE = `
local clock, nowMs
local function now()
  if not nowMs then
    clock = redis.call('TIME')
    nowMs = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  end
  return nowMs
end
local function liveHead(q, d)
  while true do
    local head = redis.call('ZRANGE', q, 0, 0)[1]
    if not head then return nil end
    local deadline = redis.call('ZSCORE', d, head)
    if deadline and tonumber(deadline) >= now() then return head end
    redis.call('ZREM', q, head)
    redis.call('ZREM', d, head)
  end
end
local function leave(q, d, address)
  redis.call('ZREM', q, address)
  redis.call('ZREM', d, address)
end
`;

/**
 * Takes a place (or keeps it: refreshes its deadline to now + placeMs) and makes both keys live at
 * least as long as the place. `arrival` empty: the server's clock in µs, kept by NX for as long as
 * the place lives (standalone, Sentinel, Cluster); otherwise the waiter's own arrival, the same on
 * every redlock primary so that all of them order the waiters alike. Scores go as '%.0f' text: Lua's
 * own number-to-text keeps 14 digits, which would round µs arrivals to 100 µs.
 */
const JOIN = `
local function join(q, d, address, placeMs, arrival)
  if arrival == '' then
    redis.call('ZADD', q, 'NX', string.format('%.0f', tonumber(clock[1]) * 1000000 + tonumber(clock[2])), address)
  else
    redis.call('ZADD', q, arrival, address)
  end
  redis.call('ZADD', d, string.format('%.0f', nowMs + placeMs), address)
  for _, key in ipairs({q, d}) do
    if redis.call('PTTL', key) < placeMs then redis.call('PEXPIRE', key, placeMs) end
  end
end
`;

/**
 * Wakes the live head of the queue: PUBLISH to its waiter's own channel (prefix .. address), the
 * message naming the lease key. A PUBLISH that reached nobody on one server (standalone, Sentinel,
 * a redlock primary: `dropSilent` = '1') means the waiter's process is gone (its subscriber
 * connection closed with it): its place goes and the next head is tried, at most 4. A Cluster
 * counts only the receivers on this node, so there a dead waiter's place lapses by its deadline.
 * pcall: a server whose ACL refuses the channel still releases (waiters then poll). A head equal
 * to `skip` is not woken (a redlock claim given back by the head itself: it tries again anyway).
 */
const WAKE = `
local function wake(q, d, prefix, dropSilent, message, skip)
  for _ = 1, 4 do
    local head = liveHead(q, d)
    if not head or head == skip then return end
    local receivers = redis.pcall('PUBLISH', prefix .. head, message)
    if type(receivers) ~= 'number' or receivers > 0 or dropSilent ~= '1' then return end
    leave(q, d, head)
  end
end
`;

/**
 * When the name is free but an earlier waiter is at the head, that waiter has not come yet: its
 * wake-up was lost, or it crashed after it. Nudge it (WAKE, skipping the caller); on one server a
 * nudge that reaches nobody drops the place, so a dead head is passed over at the next attempt of
 * anyone behind it rather than at its deadline. Returns the head after that.
 */
const NUDGE = `
local function nudgedHead(q, d, me, prefix, dropSilent, message)
  local head = liveHead(q, d)
  if head == nil or head == me then return head end
  wake(q, d, prefix, dropSilent, message, me)
  return liveHead(q, d)
end
`;

/**
 * One round trip: when the name is free and no earlier waiter holds a live place (or this waiter's
 * is the head), bump its fencing counter, store the lease under the new token and give up the place.
 * Otherwise, with placeMs > 0, take or refresh this waiter's place. KEYS: lease, fence, queue,
 * deadlines; ARGV: ttl ms, waiter address, placeMs, arrival ('' = server clock), channel prefix,
 * dropSilent (as lockReleaseWake's, for NUDGE).
 */
export const lockAcquire: LuaScript = {
  name: "stowageLockAcquire",
  numberOfKeys: 4,
  // The two common cases (free with nobody queued; held, asked without joining) come first,
  // before the queue's helpers are even defined.
  lua: `
local free = redis.call('EXISTS', KEYS[1]) == 0
if free and redis.call('EXISTS', KEYS[3]) == 0 then
  local clock = redis.call('TIME')
  ${NEXT_TOKEN}
  local text = string.format('%.0f', token)
  redis.call('SET', KEYS[2], text)
  redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
  return text
end
if not free and ARGV[3] == '0' then return false end
${QUEUE}${JOIN}${WAKE}${NUDGE}
now()
if free then
  local head = nudgedHead(KEYS[3], KEYS[4], ARGV[2], ARGV[5], ARGV[6], KEYS[1])
  if head == nil or head == ARGV[2] then
    ${NEXT_TOKEN}
    local text = string.format('%.0f', token)
    redis.call('SET', KEYS[2], text)
    redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
    if head then leave(KEYS[3], KEYS[4], ARGV[2]) end
    return text
  end
end
local placeMs = tonumber(ARGV[3])
if placeMs > 0 then join(KEYS[3], KEYS[4], ARGV[2], placeMs, ARGV[4]) end
return false
`,
};

/**
 * Compare-and-delete, then wake the queue's head (nothing more when nobody queues: the helpers are
 * defined only past that check, so the common release costs little more than before). KEYS: lease, queue, deadlines; ARGV: token,
 * channel prefix, dropSilent ('1' or '0'), skip (an address not to wake, or '' for none). The
 * message is the lease key (the waiter maps it back).
 */
export const lockReleaseWake: LuaScript = {
  name: "stowageLockReleaseWake",
  numberOfKeys: 3,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return 1 end
${QUEUE}${WAKE}
wake(KEYS[2], KEYS[3], ARGV[2], ARGV[3], KEYS[1], ARGV[4])
return 1
`,
};

/**
 * A waiter stops waiting (timed out, aborted): gives up its place and, when the name is free,
 * wakes the next head (which may have been behind it). KEYS: lease, queue, deadlines; ARGV:
 * waiter address, channel prefix, dropSilent.
 */
export const lockLeaveQueue: LuaScript = {
  name: "stowageLockLeaveQueue",
  numberOfKeys: 3,
  lua: `${QUEUE}${WAKE}
leave(KEYS[2], KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then wake(KEYS[2], KEYS[3], ARGV[2], ARGV[3], KEYS[1], '') end
return 1
`,
};

/** Compare-and-extend: only the token that holds the lease may push its expiry. */
export const lockExtend: LuaScript = {
  name: "stowageLockExtend",
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
};

/** Compare-and-delete: a late holder never removes a newer holder's lease. */
export const lockRelease: LuaScript = {
  name: "stowageLockRelease",
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`,
};

/** The current lease's token and remaining ms, read together. */
export const lockInspect: LuaScript = {
  name: "stowageLockInspect",
  numberOfKeys: 1,
  lua: `
local token = redis.call('GET', KEYS[1])
if not token then return false end
return {token, redis.call('PTTL', KEYS[1])}
`,
};

/** Raises a fencing counter to ARGV[1] when it is lower (never lowers it); returns the counter. */
export const lockRaiseFence: LuaScript = {
  name: "stowageLockRaiseFence",
  numberOfKeys: 1,
  lua: `
local counter = redis.call('GET', KEYS[1])
if counter and tonumber(counter) >= tonumber(ARGV[1]) then return counter end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`,
};

/**
 * Quorum phase 1 on one primary: when free and this waiter may take it (the queue as in
 * lockAcquire, ordered by the waiter's own arrival), hold the name under a claim id and report
 * the counter (never below the clock floor) so the caller can pick a token above a majority's;
 * the place stays until phase 2. Otherwise, with placeMs > 0, take or refresh the place. KEYS:
 * lease, fence, queue, deadlines; ARGV: ttl ms, claim id, waiter address, placeMs, arrival, channel
 * prefix, dropSilent.
 */
export const quorumClaim: LuaScript = {
  name: "stowageQuorumClaim",
  numberOfKeys: 4,
  lua: `
local free = redis.call('EXISTS', KEYS[1]) == 0
if free and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
  local clock = redis.call('TIME')
  ${NEXT_TOKEN}
  return string.format('%.0f', token - 1)
end
if not free and ARGV[4] == '0' then return false end
${QUEUE}${JOIN}${WAKE}${NUDGE}
now()
if free then
  local head = nudgedHead(KEYS[3], KEYS[4], ARGV[3], ARGV[6], ARGV[7], KEYS[1])
  if head == nil or head == ARGV[3] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
    ${NEXT_TOKEN}
    return string.format('%.0f', token - 1)
  end
end
local placeMs = tonumber(ARGV[4])
if placeMs > 0 then join(KEYS[3], KEYS[4], ARGV[3], placeMs, ARGV[5]) end
return false
`,
};

/**
 * Quorum phase 2 on one primary: turn our claim into the lease of `token`, raise the counter to
 * it and give up this waiter's place. KEYS: lease, fence, queue, deadlines; ARGV: claim id, token,
 * waiter address.
 */
export const quorumCommit: LuaScript = {
  name: "stowageQuorumCommit",
  numberOfKeys: 4,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if counter < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[3])
return 1
`,
};

export const LOCK_SCRIPTS = [
  lockAcquire,
  lockReleaseWake,
  lockLeaveQueue,
  lockExtend,
  lockRelease,
  lockInspect,
  lockRaiseFence,
  quorumClaim,
  quorumCommit,
] as const;
