-- fail.lua: a job's last attempt failed (or it cannot run at all): status failed, with the error
-- and failed_at recorded in the same step. Applies only while the lease token holds.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] failed     zset  failed at ms -> id
-- KEYS[3] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] job id
-- ARGV[3] lease token
-- ARGV[4] error message
-- Returns 1, or 0 when the lease was lost (nothing changed).
local key = ARGV[1] .. 'job:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'status', 'token')
if cur[1] ~= 'processing' or cur[2] ~= ARGV[3] then return 0 end
local now = now_ms()
redis.call('HSET', key, 'status', 'failed', 'error', ARGV[4], 'failedAt', now, 'reserved', '',
  'updated', now, 'token', '', 'expires', '')
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[2])
count_finished(KEYS[3], 'f', now, 1)
return 1
