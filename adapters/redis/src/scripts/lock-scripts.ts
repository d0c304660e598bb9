import type { LuaScript } from "./lua-script.js";

/**
 * The next fencing token of a name: its counter + 1, but never below the server clock in µs, so
 * a Redis that restarted without persistence (counter lost) still hands out larger tokens.
 * `%.0f` prints the double exactly (tokens stay below 2^53 until about year 2255).
 */
const NEXT_TOKEN = `
local now = redis.call('TIME')
local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
local token = tonumber(redis.call('GET', KEYS[2]) or '0') + 1
if token < floor then token = floor end
`;

/** One round trip: when the name is free, bump its fencing counter and store the lease under the new token. */
export const lockAcquire: LuaScript = {
  name: "stowageLockAcquire",
  numberOfKeys: 2,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
${NEXT_TOKEN}
local text = string.format('%.0f', token)
redis.call('SET', KEYS[2], text)
redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
return text
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
 * Quorum phase 1 on one primary: when free, hold the name under a claim id and report the
 * counter (never below the clock floor) so the caller can pick a token above a majority's.
 */
export const quorumClaim: LuaScript = {
  name: "stowageQuorumClaim",
  numberOfKeys: 2,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
${NEXT_TOKEN}
return string.format('%.0f', token - 1)
`,
};

/** Quorum phase 2 on one primary: turn our claim into the lease of `token` and raise the counter to it. */
export const quorumCommit: LuaScript = {
  name: "stowageQuorumCommit",
  numberOfKeys: 2,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if counter < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`,
};

export const LOCK_SCRIPTS = [
  lockAcquire,
  lockExtend,
  lockRelease,
  lockInspect,
  lockRaiseFence,
  quorumClaim,
  quorumCommit,
] as const;
