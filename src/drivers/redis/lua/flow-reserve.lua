-- flow-reserve.lua: reserve of a queue with limits: starts what they allow, holds nothing.
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] active, KEYS[4] pending, KEYS[5] retrying,
-- KEYS[6] failed, KEYS[7] paused, KEYS[8] held (as reserve.lua)
-- KEYS[9] starts  zset  start ms -> '<group>\n<token>' (queues with a rate limit)
-- ARGV[1] queue key base, ARGV[2] how many at most, ARGV[3] lease ms, ARGV[4] token prefix,
-- ARGV[5] worker id, ARGV[6] first token number,
-- ARGV[7] concurrency, ARGV[8] rate max, ARGV[9] rate ms, ARGV[10] group concurrency,
-- ARGV[11] group rate max, ARGV[12] group rate ms ('' where unset)
-- Returns as reserve.lua.
local now = now_ms()
local base = ARGV[1]
local out = { -1, now }
local k = { ready = KEYS[1], delayed = KEYS[2], active = KEYS[3], pending = KEYS[4], retrying = KEYS[5],
  failed = KEYS[6], paused = KEYS[7], held = KEYS[8] }
-- Promotes due delayed jobs only (limit 0).
reserve_jobs(base, k, now, 0, 0, 0, '', 0, '', out)
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if nxt[2] then out[1] = tonumber(nxt[2]) end
if redis.call('EXISTS', k.paused) == 1 then return out end

local conc, rmax, rms = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local gconc, gmax, gms = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local room = tonumber(ARGV[2])
local grun, gstart = {}, {}

-- Started jobs of the queue (held ones have no 'reserved'), by group.
local running = 0
for _, id in ipairs(redis.call('ZRANGE', k.active, 0, -1)) do
  local f = redis.call('HMGET', base .. 'job:' .. id, 'reserved', 'group')
  if f[1] and f[1] ~= '' then
    running = running + 1
    if f[2] and f[2] ~= '' then grun[f[2]] = (grun[f[2]] or 0) + 1 end
  end
end
if conc then room = math.min(room, conc - running) end

local longest = math.max(rms or 0, gms or 0)
if longest > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now - longest)
  local list = redis.call('ZRANGEBYSCORE', KEYS[9], '(' .. (now - longest), '+inf', 'WITHSCORES')
  local qcount = 0
  for i = 1, #list, 2 do
    local at = tonumber(list[i + 1])
    local g = string.match(list[i], '^(.*)\n[^\n]*$') or ''
    if rms and at > now - rms then qcount = qcount + 1 end
    if gms and g ~= '' and at > now - gms then gstart[g] = (gstart[g] or 0) + 1 end
  end
  if rmax then room = math.min(room, rmax - qcount) end
end
if room <= 0 then return out end

local expires = now + tonumber(ARGV[3])
local n = 0
local candidates = redis.call('ZRANGE', k.ready, 0, room + 200)
for _, id in ipairs(candidates) do
  if n >= room then break end
  local key = base .. 'job:' .. id
  local job = read_job(key)
  local status = job[7]
  if status == 'pending' or status == 'retrying' then
    local g = redis.call('HGET', key, 'group') or ''
    local ok = true
    if g ~= '' then
      if gconc and (grun[g] or 0) >= gconc then ok = false end
      if gmax and (gstart[g] or 0) >= gmax then ok = false end
    end
    local bad = corrupt_numbers(job[5], job[6], job[8])
    if bad then
      redis.call('ZREM', k.ready, id)
      fail_corrupt(base, id, now, bad)
    elseif ok then
      if g ~= '' then
        grun[g] = (grun[g] or 0) + 1
        gstart[g] = (gstart[g] or 0) + 1
      end
      local token = ARGV[4] .. (tonumber(ARGV[6]) + n)
      n = n + 1
      local attempts = tonumber(job[5]) + 1
      redis.call('ZREM', k.ready, id)
      redis.call('HSET', key, 'status', 'processing', 'attempts', attempts, 'reserved', now,
        'updated', now, 'token', token, 'expires', expires, 'worker', ARGV[5], 'from', status)
      redis.call('ZADD', k.active, expires, id)
      redis.call('ZREM', status == 'pending' and k.pending or k.retrying, id)
      if longest > 0 then redis.call('ZADD', KEYS[9], now, g .. '\n' .. token) end
      job[5] = attempts
      job[7] = 'processing'
      job[10] = now
      job[16] = now
      job[18] = token
      for f = 1, #FIELDS do out[#out + 1] = job[f] end
    end
  else
    redis.call('ZREM', k.ready, id)
  end
end
return out
