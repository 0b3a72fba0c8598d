-- remove-finished.lua: deletes finished jobs (clear-failed and prune), oldest first, in bounded
-- batches so that one call never blocks Redis for long; or, by id, only the given jobs.
-- KEYS[1] the finished set: completed or failed  zset  finished at ms -> id
-- KEYS[2] all  zset  0 -> id
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] remove jobs finished more than this many ms ago ('' for all of them),
--         or 'ids': remove only the jobs ARGV[3..] that are members of KEYS[1]
-- ARGV[3] how many at most in this call (unless ARGV[2] is 'ids')
-- Returns the number of jobs removed.
local ids
if ARGV[2] == 'ids' then
  -- Membership of the finished set is the status check: a job of another status (or queue) stays.
  ids = {}
  for i = 3, #ARGV do
    if redis.call('ZSCORE', KEYS[1], ARGV[i]) then ids[#ids + 1] = ARGV[i] end
  end
else
  local max = '+inf'
  if ARGV[2] ~= '' then max = '(' .. (now_ms() - tonumber(ARGV[2])) end
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', max, 'LIMIT', 0, tonumber(ARGV[3]))
end
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. 'job:' .. id)
end
if #ids > 0 then
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('ZREM', KEYS[2], unpack(ids))
end
return #ids
