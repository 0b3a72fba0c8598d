-- heartbeat.lua: renews the leases of running jobs of one queue.
-- KEYS[1] active zset  lease expiry ms -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] lease ms
-- ARGV[3..] pairs: job id, lease token
-- Returns the ids whose lease the caller no longer holds (their runs must stop).
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local key = ARGV[1] .. 'job:' .. ARGV[i]
  local cur = redis.call('HMGET', key, 'status', 'token')
  if cur[1] == 'processing' and cur[2] == ARGV[i + 1] then
    redis.call('HSET', key, 'expires', expires)
    redis.call('ZADD', KEYS[1], expires, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
