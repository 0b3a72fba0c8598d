-- retry-failed.lua: failed jobs start over: attempts back to 0, due now, status pending.
-- KEYS[1] failed  zset  failed at ms -> id
-- KEYS[2] pending zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3] queue name
-- ARGV[4] the queue's outbox key on Redis Cluster ('' on one server): batch events go there
-- ARGV[5] 'all' (then ARGV[6] = how many at most in this call) or 'ids' (then ARGV[6..] = job ids)
-- Returns the number of jobs retried.
local base = ARGV[1]
local now = now_ms()
local ids
if ARGV[5] == 'all' then
  ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[6]) - 1)
else
  ids = {}
  for i = 6, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local count = 0
for _, id in ipairs(ids) do
  local key = base .. 'job:' .. id
  local cur = redis.call('HMGET', key, 'status', 'priority', 'ukey')
  local free = true
  if cur[1] == 'failed' and cur[3] and cur[3] ~= '' then
    -- A unique job is not revived while another live job holds its id.
    local holder = redis.call('HGET', base .. 'unique', cur[3])
    if holder and holder ~= id then
      local h = redis.call('HMGET', base .. 'job:' .. holder, 'status', 'uuntil')
      local live = h[1] == 'pending' or h[1] == 'processing' or h[1] == 'retrying'
      if live and (h[2] == false or h[2] == '' or tonumber(h[2]) > now) then free = false end
    end
    if free then redis.call('HSET', base .. 'unique', cur[3], id) end
  end
  if cur[1] == 'failed' and free then
    redis.call('HSET', key, 'status', 'pending', 'attempts', 0, 'failedAt', '', 'error', '',
      'available', now, 'updated', now)
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], 0, id)
    batch_job_revived(key, ARGV[4])
    schedule(base, id, tonumber(cur[2]) or 0, now, now, ARGV[2], ARGV[3])
    count = count + 1
  end
end
return count
