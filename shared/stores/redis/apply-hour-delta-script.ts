// The Lua script that applies one batch's deltas to one hour of one metric (its minute
// buckets and its hour bucket) at most once. Kept as a TS string (not a .lua file) so the
// function bundle carries it.

/** Script source; see the comments inside for KEYS and ARGV. */
export const APPLY_HOUR_DELTA_LUA = `
-- Applies one batch's deltas to one hour of one metric at most once. All KEYS share one hash tag.
-- KEYS[1] applied batch digests; then per bucket, in ARGV[4]'s order: counters hash,
--   HyperLogLog, then one sorted set per entry of its top
-- ARGV[1] batch digest, ARGV[2] TTL of the applied record (seconds), ARGV[3] top-K size kept,
-- ARGV[4] JSON { buckets = [ { ttl, count, late, lag, maxTs, sums = { field = n },
--   uniques = [..], top = [ { value = n }, .. ], merge } ] }; a bucket with merge = true
--   (the hour) gets the union of the sketches of the buckets before it (its minutes)
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
local keep = tonumber(ARGV[3])
local d = cjson.decode(ARGV[4])
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
local k = 2
local sketches = {}
for _, b in ipairs(d.buckets) do
  local counters, uniques = KEYS[k], KEYS[k + 1]
  k = k + 2
  redis.call('HINCRBY', counters, 'count', b.count)
  if b.late > 0 then
    redis.call('HINCRBY', counters, 'late', b.late)
  end
  redis.call('HINCRBY', counters, 'lag_ms', b.lag)
  -- freshness: the newest event time seen, and when this bucket last changed (server clock)
  local maxTs = tonumber(redis.call('HGET', counters, 'max_ts') or '0')
  if b.maxTs > maxTs then
    redis.call('HSET', counters, 'max_ts', b.maxTs, 'applied_ms', nowMs)
  else
    redis.call('HSET', counters, 'applied_ms', nowMs)
  end
  for field, value in pairs(b.sums) do
    redis.call('HINCRBYFLOAT', counters, 'sum:' .. field, value)
  end
  redis.call('EXPIRE', counters, b.ttl)
  local n = #b.uniques
  if n > 0 then
    -- unpack is bounded by Lua's C stack; add in chunks
    for i = 1, n, 1000 do
      redis.call('PFADD', uniques, unpack(b.uniques, i, math.min(i + 999, n)))
    end
  end
  if b.merge and #sketches > 0 then
    -- a union of sketches is idempotent, so merging a minute again never counts twice
    redis.call('PFMERGE', uniques, unpack(sketches))
    n = 1
  elseif n > 0 then
    sketches[#sketches + 1] = uniques
  end
  if n > 0 then
    redis.call('EXPIRE', uniques, b.ttl)
  end
  for _, counts in ipairs(b.top) do
    local key = KEYS[k]
    k = k + 1
    for value, count in pairs(counts) do
      redis.call('ZINCRBY', key, count, value)
    end
    -- keep the zset bounded: drop all but the \`keep\` most frequent values
    redis.call('ZREMRANGEBYRANK', key, 0, -(keep + 1))
    redis.call('EXPIRE', key, b.ttl)
  end
end
return 1
`;
