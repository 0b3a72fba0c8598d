-- start.lua: held jobs of one queue start: their attempt is counted, reserved = now, lease renewed.
-- Applies per job only while it is processing, held (reserved empty) and the token matches.
-- KEYS[1] active zset  lease expiry ms -> id
-- KEYS[2] held   zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] lease ms
-- ARGV[3..] pairs: job id, lease token
-- Returns the ids that did not start (lease lost, or a corrupt row, which is failed with its reason).
local base = ARGV[1]
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local key = base .. 'job:' .. id
  local cur = redis.call('HMGET', key, 'status', 'token', 'reserved', 'attempts')
  if cur[1] == 'processing' and cur[2] == ARGV[i + 1] and (cur[3] == '' or cur[3] == false) then
    if tonumber(cur[4]) == nil then
      fail_corrupt(base, id, now, 'attempts is not a number (' .. tostring(cur[4]) .. ')')
      lost[#lost + 1] = id
    else
      redis.call('HSET', key, 'attempts', tonumber(cur[4]) + 1, 'reserved', now, 'updated', now, 'expires', expires)
      redis.call('ZADD', KEYS[1], expires, id)
      redis.call('ZREM', KEYS[2], id)
    end
  else
    lost[#lost + 1] = id
  end
end
return lost
