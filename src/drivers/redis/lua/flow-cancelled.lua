-- flow-cancelled.lua: which running jobs of one queue dispatcher.cancel() asked to stop.
-- KEYS[1] active  zset  (unread: it routes the call to the queue's Redis Cluster slot)
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2..] pairs: job id, lease token
-- Returns the ids whose 'cancel' mark is their current lease (status processing).
local _ = KEYS[1]
local out = {}
for i = 2, #ARGV, 2 do
  local f = redis.call('HMGET', ARGV[1] .. 'job:' .. ARGV[i], 'status', 'token', 'cancel')
  if f[1] == 'processing' and f[2] == ARGV[i + 1] and f[3] == ARGV[i + 1] then out[#out + 1] = ARGV[i] end
end
return out
