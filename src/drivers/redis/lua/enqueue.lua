-- enqueue.lua: stores new jobs of one queue.
-- KEYS[1] ready    zset  priority -> id (due jobs)
-- KEYS[2] delayed  zset  due ms -> id
-- KEYS[3] pending  zset  0 -> id (status index)
-- KEYS[4] all      zset  0 -> id (every job of the queue, for listing)
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] queue name
-- ARGV[3] wake-up channel ('' for none)
-- ARGV[4..] 9 fields per job: id, name, payload, maxAttempts, priority, timeout ('' for none),
--           delayMs, availableAt ms ('' for none), meta
-- Returns the number of jobs stored (ids that exist already are skipped).
local now = now_ms()
local stored = 0
for i = 4, #ARGV, 9 do
  stored = stored + insert_job(ARGV[1], ARGV[2], now, ARGV, i, ARGV[3])
end
return stored
