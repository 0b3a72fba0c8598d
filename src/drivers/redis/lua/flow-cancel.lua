-- flow-cancel.lua: cancels one job. A waiting job, or one held ahead and never started, is
-- failed at once; a started one is marked with its current lease ('cancel' = token), which the
-- worker holding it reads and aborts the run.
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] pending, KEYS[4] retrying, KEYS[5] active, KEYS[6] held,
-- KEYS[7] failed, KEYS[8] throughput
-- ARGV[1] queue key base, ARGV[2] id, ARGV[3] reason
-- ARGV[4] the queue's outbox key on Redis Cluster ('' on one server): batch events go there
-- Returns 1 when cancelled or marked, 0 for an unknown or finished job.
local now = now_ms()
local id = ARGV[2]
local key = ARGV[1] .. 'job:' .. id
local cur = redis.call('HMGET', key, 'status', 'reserved', 'token')
local status = cur[1]
if status == 'processing' and cur[2] ~= false and cur[2] ~= '' then
  redis.call('HSET', key, 'cancel', cur[3])
  return 1
end
if status ~= 'pending' and status ~= 'retrying' and status ~= 'processing' then return 0 end
redis.call('HSET', key, 'status', 'failed', 'error', ARGV[3], 'failedAt', now, 'updated', now,
  'token', '', 'expires', '')
for i = 1, 6 do redis.call('ZREM', KEYS[i], id) end
redis.call('ZADD', KEYS[7], now, id)
count_finished(KEYS[8], 'f', now, 1)
-- A job of a batch counts as finished (failed, not a catch: the reason starts with 'Cancelled').
batch_job_finished(key, 'failed', ARGV[3], now, '', ARGV[4])
return 1
