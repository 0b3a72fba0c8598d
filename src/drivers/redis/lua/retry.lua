-- retry.lua: a failed attempt with attempts left: status retrying, due again after ARGV[4] ms.
-- Applies only while the lease token holds.
-- KEYS[1] active   zset  lease expiry ms -> id
-- KEYS[2] retrying zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] job id
-- ARGV[3] lease token
-- ARGV[4] delay ms
-- ARGV[5] error message
-- ARGV[6] wake-up channel ('' for none)
-- ARGV[7] queue name
-- Returns 1, or 0 when the lease was lost (nothing changed).
local key = ARGV[1] .. 'job:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'status', 'token', 'priority')
if cur[1] ~= 'processing' or cur[2] ~= ARGV[3] then return 0 end
local now = now_ms()
local due = now + tonumber(ARGV[4])
redis.call('HSET', key, 'status', 'retrying', 'error', ARGV[5], 'available', due, 'reserved', '',
  'updated', now, 'token', '', 'expires', '')
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
schedule(ARGV[1], ARGV[2], tonumber(cur[3]), due, now, ARGV[6], ARGV[7])
return 1
