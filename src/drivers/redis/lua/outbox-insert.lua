-- outbox-insert.lua: (Redis Cluster) stores jobs moved from the cross-queue outbox (outbox.ts)
-- into one queue: batch jobs, batch callbacks, schedule ticks. Ids that exist already are
-- skipped, so a move replayed after a crash, or made by two processes, stores each job once.
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] pending, KEYS[4] all (as enqueue.lua)
-- ARGV[1] queue key base '{prefix:queue}:', ARGV[2] queue name, ARGV[3] wake-up channel
-- ARGV[4..] 10 fields per job: the 9 of enqueue.lua, then the job's group ('' for none)
-- Returns the number of jobs stored.
local now = now_ms()
local stored = 0
for i = 4, #ARGV, 10 do
  if insert_job(ARGV[1], ARGV[2], now, ARGV, i, ARGV[3]) == 1 then
    stored = stored + 1
    if ARGV[i + 9] ~= '' then redis.call('HSET', ARGV[1] .. 'job:' .. ARGV[i], 'group', ARGV[i + 9]) end
  end
end
return stored
