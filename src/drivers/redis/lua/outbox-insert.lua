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
  stored = stored + insert_job_in_group(ARGV[1], ARGV[2], now, ARGV, i, ARGV[3], ARGV[i + 9])
end
return stored
