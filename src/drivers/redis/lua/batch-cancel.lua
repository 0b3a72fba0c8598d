-- batch-cancel.lua: marks a running batch cancelled.
-- KEYS[1] batch hash
-- Returns 1, or 0 for a batch that is unknown, finished or cancelled already.
local cur = redis.call('HMGET', KEYS[1], 'id', 'finished', 'cancelled')
if not cur[1] or (cur[2] and cur[2] ~= '') or (cur[3] and cur[3] ~= '') then return 0 end
redis.call('HSET', KEYS[1], 'cancelled', now_ms())
return 1
