-- remove-finished.lua: deletes finished jobs (clear-failed and prune), oldest first, in bounded
-- batches so that one call never blocks Redis for long.
-- KEYS[1] the finished set: completed or failed  zset  finished at ms -> id
-- KEYS[2] all  zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] remove jobs finished more than this many ms ago ('' for all of them)
-- ARGV[3] how many at most in this call
-- Returns the number of jobs removed.
local max = '+inf'
if ARGV[2] ~= '' then max = '(' .. (now_ms() - tonumber(ARGV[2])) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', max, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. 'job:' .. id)
end
if #ids > 0 then
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('ZREM', KEYS[2], unpack(ids))
end
return #ids
