-- count-due.lua: how many jobs of one queue are due, counted up to a bound.
-- KEYS[1] ready zset   KEYS[2] delayed zset
-- ARGV[1] bound
-- Returns the count (ready jobs plus delayed ones already due), at most ARGV[1].
local now = now_ms()
local bound = tonumber(ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n < bound then n = n + redis.call('ZCOUNT', KEYS[2], '-inf', now) end
if n > bound then n = bound end
return n
