-- release.lua: gives a reserved job back without counting its attempt (graceful shutdown).
-- Applies only while the lease token holds.
-- KEYS[1] active   zset  lease expiry ms -> id
-- KEYS[2] pending  zset  0 -> id
-- KEYS[3] retrying zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] job id
-- ARGV[3] lease token
-- ARGV[4] delay ms
-- ARGV[5] wake-up channel ('' for none)
-- ARGV[6] queue name
-- Returns 1, or 0 when the lease was lost (nothing changed).
local key = ARGV[1] .. 'job:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'status', 'token', 'priority', 'attempts')
if cur[1] ~= 'processing' or cur[2] ~= ARGV[3] then return 0 end
local now = now_ms()
local attempts = tonumber(cur[4]) - 1
local status = 'pending'
if attempts > 0 then status = 'retrying' end
local due = now + tonumber(ARGV[4])
redis.call('HSET', key, 'status', status, 'attempts', attempts, 'available', due, 'reserved', '',
  'updated', now, 'token', '', 'expires', '')
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', status == 'pending' and KEYS[2] or KEYS[3], 0, ARGV[2])
schedule(ARGV[1], ARGV[2], tonumber(cur[3]), due, now, ARGV[5], ARGV[6])
return 1
