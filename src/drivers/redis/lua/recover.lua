-- recover.lua: jobs whose lease ran out. A held job (never started: 'reserved' empty) goes back as
-- it was, uncharged and never failed. A started one is due again now (retrying) with attempts
-- left, failed on its last attempt. A row whose numbers are corrupt is failed with the reason.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] retrying   zset  0 -> id
-- KEYS[3] failed     zset  failed at ms -> id
-- KEYS[4] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- KEYS[5] pending    zset  0 -> id
-- KEYS[6] held       zset  0 -> id
-- KEYS[7] (optional) the queue's history base '{prefix:queue}:': present when history is on
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] limit
-- ARGV[3] wake-up channel ('' for none)
-- ARGV[4] queue name
-- ARGV[5] the queue's outbox key on Redis Cluster ('' on one server): batch events go there
-- Returns { r, r requeued ids, then the FIELDS of each job that failed }.
local base = ARGV[1]
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local requeued = {}
local failed = {}
local history = history_open(base, KEYS[7] ~= nil)
for _, id in ipairs(expired) do
  local key = base .. 'job:' .. id
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[6], id)
  local cur = redis.call('HMGET', key, 'status', 'attempts', 'max', 'priority', 'reserved', 'available', 'worker',
    'name')
  if cur[1] == 'processing' then
    local bad = corrupt_numbers(cur[2], cur[3], cur[4])
    if bad then
      fail_corrupt(base, id, now, bad)
      failed[#failed + 1] = key
    elseif cur[5] == '' or cur[5] == false then
      local attempts = tonumber(cur[2])
      local status = 'pending'
      if attempts > 0 then status = 'retrying' end
      redis.call('HSET', key, 'status', status, 'available', now, 'updated', now, 'token', '', 'expires', '')
      redis.call('ZADD', status == 'pending' and KEYS[5] or KEYS[2], 0, id)
      schedule(base, id, tonumber(cur[4]), now, now, ARGV[3], ARGV[4])
      requeued[#requeued + 1] = id
    else
      local attempts = tonumber(cur[2])
      local reason = 'Worker died during attempt ' .. attempts .. '/' .. cur[3] .. ' (its lease expired)'
      if attempts >= tonumber(cur[3]) then
        redis.call('HSET', key, 'status', 'failed', 'error', reason, 'failedAt', now,
          'updated', now, 'token', '', 'expires', '')
        redis.call('ZADD', KEYS[3], now, id)
        batch_job_finished(key, 'failed', reason, now, ARGV[3], ARGV[5])
        failed[#failed + 1] = key
        history_record(history, id, attempts, cur[8], cur[7], cur[5], cur[6], now, 'failed', reason)
      else
        redis.call('HSET', key, 'status', 'retrying', 'error', reason, 'available', now,
          'updated', now, 'token', '', 'expires', '')
        redis.call('ZADD', KEYS[2], 0, id)
        schedule(base, id, tonumber(cur[4]), now, now, ARGV[3], ARGV[4])
        requeued[#requeued + 1] = id
        history_record(history, id, attempts, cur[8], cur[7], cur[5], cur[6], now, 'retried', reason)
      end
    end
  end
end
history_flush(history, now)
if #failed > 0 then count_finished(KEYS[4], 'f', now, #failed) end
local out = { #requeued }
for _, id in ipairs(requeued) do out[#out + 1] = id end
for _, key in ipairs(failed) do
  local job = read_job(key)
  for f = 1, #FIELDS do out[#out + 1] = job[f] end
end
return out
