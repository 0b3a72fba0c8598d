-- reserve.lua: promotes due delayed jobs, then hands out up to ARGV[2] jobs, lowest priority first,
-- then oldest. Counts the attempt, sets a lease token and the lease expiry, atomically.
-- KEYS[1] ready    zset  priority -> id
-- KEYS[2] delayed  zset  due ms -> id
-- KEYS[3] active   zset  lease expiry ms -> id (status processing)
-- KEYS[4] pending  zset  0 -> id
-- KEYS[5] retrying zset  0 -> id
-- KEYS[6] failed   zset  failed at ms -> id (for rows with a status no code knows)
-- KEYS[7] paused   string, exists while the queue is paused
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] limit
-- ARGV[3] lease ms
-- ARGV[4] token prefix, random, made by the host; the n-th job handed out gets prefix .. n
-- ARGV[5] worker id
-- Returns { due ms of the next delayed job or -1, Redis time now in ms, then the FIELDS of each
-- job handed out }.
local base = ARGV[1]
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  local p = redis.call('HGET', base .. 'job:' .. id, 'priority')
  if p then redis.call('ZADD', KEYS[1], p, id) end
end
if #due > 0 then redis.call('ZREM', KEYS[2], unpack(due)) end

local out = { -1, now }
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if nxt[2] then out[1] = tonumber(nxt[2]) end
if redis.call('EXISTS', KEYS[7]) == 1 then return out end

local expires = now + tonumber(ARGV[3])
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[2]))
local n = 0
for i = 1, #popped, 2 do
  local id = popped[i]
  local key = base .. 'job:' .. id
  local job = read_job(key)
  local status = job[7]
  if status == 'pending' or status == 'retrying' then
    n = n + 1
    local token = ARGV[4] .. n
    local attempts = tonumber(job[5]) + 1
    redis.call('HSET', key, 'status', 'processing', 'attempts', attempts, 'reserved', now, 'updated', now,
      'token', token, 'expires', expires, 'worker', ARGV[5])
    redis.call('ZADD', KEYS[3], expires, id)
    redis.call('ZREM', status == 'pending' and KEYS[4] or KEYS[5], id)
    job[5] = attempts
    job[7] = 'processing'
    job[10] = now
    job[16] = now
    job[18] = token
    for f = 1, #FIELDS do out[#out + 1] = job[f] end
  elseif job[1] and status ~= 'processing' and status ~= 'completed' and status ~= 'failed' then
    -- A row no code knows how to run: fail it with the reason instead of wedging the queue.
    redis.call('HSET', key, 'status', 'failed', 'failedAt', now, 'updated', now,
      'error', 'Corrupt job row: unknown status ' .. tostring(status))
    redis.call('ZADD', KEYS[6], now, id)
  end
end
return out
