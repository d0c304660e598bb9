import type { LuaScript } from "./lua-script.js";

/** An entry and its remaining ttl, read together so the expiry belongs to the value returned. */
export const cacheGet: LuaScript = {
  name: "stowageCacheGet",
  numberOfKeys: 1,
  lua: `
local value = redis.call('GET', KEYS[1])
if not value then return false end
return {value, redis.call('PTTL', KEYS[1])}
`,
};

/** INCRBY on decimal text; an absent key starts at `by` with the given ttl; the result stays a safe integer. */
export const cacheIncr: LuaScript = {
  name: "stowageCacheIncr",
  numberOfKeys: 1,
  lua: `
local current = redis.call('GET', KEYS[1])
if not current then
  if ARGV[2] ~= '' then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], ARGV[1])
  end
  return ARGV[1]
end
if #current > 17 or not string.match(current, '^%-?%d+$') then
  return redis.error_reply('STOWAGE_NOT_INTEGER the stored value is not an integer')
end
local nextValue = tonumber(current) + tonumber(ARGV[1])
if nextValue > 9007199254740991 or nextValue < -9007199254740991 then
  return redis.error_reply('STOWAGE_NOT_INTEGER the result would leave the safe integer range')
end
return tostring(redis.call('INCRBY', KEYS[1], ARGV[1]))
`,
};

/** Compare-and-set on the exact bytes read before: the optimistic step of update(). ARGV[5]: PX ms, "" for none, "keep" for KEEPTTL. */
export const cacheCompareAndSet: LuaScript = {
  name: "stowageCacheCompareAndSet",
  numberOfKeys: 1,
  lua: `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] == 'del' then
  redis.call('DEL', KEYS[1])
elseif ARGV[5] == 'keep' then
  redis.call('SET', KEYS[1], ARGV[4], 'KEEPTTL')
elseif ARGV[5] ~= '' then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1
`,
};

export const CACHE_SCRIPTS = [cacheGet, cacheIncr, cacheCompareAndSet] as const;
