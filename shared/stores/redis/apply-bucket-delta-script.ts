// The Lua script that applies one batch's delta to one bucket at most once. Kept as a TS
// string (not a .lua file) so the function bundle carries it.

/** Script source; see the comments inside for KEYS and ARGV. */
export const APPLY_BUCKET_DELTA_LUA = `
-- Applies one batch's delta to one bucket at most once. All KEYS share one hash tag.
-- KEYS[1] counters hash, KEYS[2] HyperLogLog, KEYS[3] applied batch ids, KEYS[4..] top-K zsets
-- ARGV[1] batch id, ARGV[2] TTL seconds, ARGV[3] top-K size kept, ARGV[4] delta JSON:
--   { count, late, lag, maxTs, sums = { field = n }, uniques = [..], top = [ { value = n }, .. ] in KEYS order }
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then
  return 0
end
local ttl = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local d = cjson.decode(ARGV[4])
redis.call('HINCRBY', KEYS[1], 'count', d.count)
if d.late > 0 then
  redis.call('HINCRBY', KEYS[1], 'late', d.late)
end
redis.call('HINCRBY', KEYS[1], 'lag_ms', d.lag)
-- freshness: the newest event time seen, and when this bucket last changed (server clock)
local maxTs = tonumber(redis.call('HGET', KEYS[1], 'max_ts') or '0')
if d.maxTs > maxTs then
  redis.call('HSET', KEYS[1], 'max_ts', d.maxTs)
end
local now = redis.call('TIME')
redis.call('HSET', KEYS[1], 'applied_ms', now[1] * 1000 + math.floor(now[2] / 1000))
for field, value in pairs(d.sums) do
  redis.call('HINCRBYFLOAT', KEYS[1], 'sum:' .. field, value)
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
local n = #d.uniques
if n > 0 then
  -- unpack is bounded by Lua's C stack; add in chunks
  for i = 1, n, 1000 do
    redis.call('PFADD', KEYS[2], unpack(d.uniques, i, math.min(i + 999, n)))
  end
  redis.call('EXPIRE', KEYS[2], ttl)
end
for i, counts in ipairs(d.top) do
  local key = KEYS[3 + i]
  for value, count in pairs(counts) do
    redis.call('ZINCRBY', key, count, value)
  end
  -- keep the zset bounded: drop all but the \`keep\` most frequent values
  redis.call('ZREMRANGEBYRANK', key, 0, -(keep + 1))
  redis.call('EXPIRE', key, ttl)
end
return 1
`;
