-- counts.lua: the counts of one queue, from its status indexes (no scan).
-- KEYS[1] pending   KEYS[2] retrying   KEYS[3] active (processing)   KEYS[4] completed
-- KEYS[5] failed    KEYS[6] ready      KEYS[7] delayed    KEYS[8] held (leased ahead, not started)
-- ARGV[1] queue key base '{prefix:queue}:'
-- Returns { pending, retrying, processing, completed, failed, age ms of the oldest due job or -1 }.
-- The age looks at the head of each priority level of the ready set (ties are by id, so that is
-- the oldest-created job of the level) and at due jobs not yet promoted from the delayed set.
local now = now_ms()
local oldest = nil
local function consider(id)
  local at = tonumber(redis.call('HGET', ARGV[1] .. 'job:' .. id, 'available'))
  if at and (oldest == nil or at < oldest) then oldest = at end
end
local head = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
local levels = 0
while head[1] and levels < 50 do
  consider(head[1])
  levels = levels + 1
  head = redis.call('ZRANGEBYSCORE', KEYS[6], '(' .. head[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
end
local late = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now, 'LIMIT', 0, 1)
if late[1] then consider(late[1]) end
local age = -1
if oldest then age = math.max(0, now - oldest) end
-- Held jobs are leased but not started: they count as pending, not processing.
local held = redis.call('ZCARD', KEYS[8])
return { redis.call('ZCARD', KEYS[1]) + held, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]) - held,
  redis.call('ZCARD', KEYS[4]), redis.call('ZCARD', KEYS[5]), age }
