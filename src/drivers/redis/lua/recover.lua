-- recover.lua: jobs whose lease ran out (their worker died or froze) are due again now, status
-- retrying; those that were on their last attempt become failed instead.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] retrying   zset  0 -> id
-- KEYS[3] failed     zset  failed at ms -> id
-- KEYS[4] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] limit
-- ARGV[3] wake-up channel ('' for none)
-- ARGV[4] queue name
-- Returns { r, r requeued ids, then the FIELDS of each job that failed }.
local base = ARGV[1]
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local requeued = {}
local failed = {}
for _, id in ipairs(expired) do
  local key = base .. 'job:' .. id
  redis.call('ZREM', KEYS[1], id)
  local cur = redis.call('HMGET', key, 'status', 'attempts', 'max', 'priority')
  if cur[1] == 'processing' then
    local attempts = tonumber(cur[2])
    local reason = 'Worker died during attempt ' .. attempts .. '/' .. cur[3] .. ' (its lease expired)'
    if attempts >= tonumber(cur[3]) then
      redis.call('HSET', key, 'status', 'failed', 'error', reason, 'failedAt', now, 'reserved', '',
        'updated', now, 'token', '', 'expires', '')
      redis.call('ZADD', KEYS[3], now, id)
      failed[#failed + 1] = key
    else
      redis.call('HSET', key, 'status', 'retrying', 'error', reason, 'available', now, 'reserved', '',
        'updated', now, 'token', '', 'expires', '')
      redis.call('ZADD', KEYS[2], 0, id)
      schedule(base, id, tonumber(cur[4]), now, now, ARGV[3], ARGV[4])
      requeued[#requeued + 1] = id
    end
  end
end
if #failed > 0 then count_finished(KEYS[4], 'f', now, #failed) end
local out = { #requeued }
for _, id in ipairs(requeued) do out[#out + 1] = id end
for _, key in ipairs(failed) do
  local job = read_job(key)
  for f = 1, #FIELDS do out[#out + 1] = job[f] end
end
return out
