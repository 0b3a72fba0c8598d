-- complete.lua: marks jobs of one queue completed, each only while its lease token still holds,
-- and stores the next links of their chains in the same atomic step. Several completions may come
-- in one call: the driver batches completions that arrive while one call is in flight.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] completed  zset  completed at ms -> id
-- KEYS[3] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3..] per completion: id, token, k = number of next jobs, then k groups of 11 fields:
--           queue key base, queue name, then the 9 job fields of enqueue.lua
-- Returns { 1 or 0 per completion } (0: the lease was lost and nothing changed).
local base = ARGV[1]
local now = now_ms()
local out = {}
local done = 0
local i = 3
while i <= #ARGV do
  local id, token, k = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  i = i + 3
  local key = base .. 'job:' .. id
  local cur = redis.call('HMGET', key, 'status', 'token')
  if cur[1] == 'processing' and cur[2] == token then
    redis.call('HSET', key, 'status', 'completed', 'processed', now, 'updated', now, 'reserved', '',
      'token', '', 'expires', '')
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], now, id)
    for j = 0, k - 1 do
      local g = i + j * 11
      insert_job(ARGV[g], ARGV[g + 1], now, ARGV, g + 2, ARGV[2])
    end
    done = done + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  i = i + k * 11
end
if done > 0 then count_finished(KEYS[3], 'c', now, done) end
return out
