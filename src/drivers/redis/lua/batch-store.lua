-- batch-store.lua: creates a batch with its jobs, or adds jobs to a running batch, in one step.
-- KEYS[1] batch hash  '{prefix}:batch:<id>'
-- KEYS[2] batch index zset  created ms -> id
-- KEYS[3] cross-queue outbox list '{prefix}:outbox' (Redis Cluster)
-- ARGV[1] 'create' or 'add'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3] batch id
-- ARGV[4] name ('' for none), ARGV[5] allow failures '1'/'0'
-- ARGV[6], ARGV[7], ARGV[8] the then, catch and finally callback specs ('' for none)
-- ARGV[9] number of jobs, then per job 12 fields: queue key base, queue name, the 9 fields of
--   enqueue.lua, the job's group ('' for none; unique jobs are refused in batches by the dispatcher).
--   On Redis Cluster the base is '': the queue's slot is out of reach, so the jobs go to the
--   cross-queue outbox (this slot) as one entry, which the caller moves on after (outbox.ts).
-- Returns 1 (or, when jobs went to the outbox, the entry), or 0 for an 'add' to a batch that is
-- unknown, finished or cancelled (nothing stored).
local now = now_ms()
local n = tonumber(ARGV[9])
if ARGV[1] == 'create' then
  redis.call('HSET', KEYS[1], 'id', ARGV[3], 'name', ARGV[4], 'total', n, 'pending', n, 'failed', 0,
    'allow', ARGV[5], 'then', ARGV[6], 'catch', ARGV[7], 'finally', ARGV[8], 'created', now,
    'finished', n == 0 and now or '', 'cancelled', '')
  redis.call('ZADD', KEYS[2], now, ARGV[3])
else
  local cur = redis.call('HMGET', KEYS[1], 'id', 'finished', 'cancelled')
  if not cur[1] or (cur[2] and cur[2] ~= '') or (cur[3] and cur[3] ~= '') then return 0 end
  redis.call('HINCRBY', KEYS[1], 'total', n)
  redis.call('HINCRBY', KEYS[1], 'pending', n)
end
local rows = {}
for j = 0, n - 1 do
  local g = 10 + j * 12
  if ARGV[g] == '' then
    rows[#rows + 1] = { unpack(ARGV, g + 1, g + 11) }
  else
    insert_job_in_group(ARGV[g], ARGV[g + 1], now, ARGV, g + 2, ARGV[2], ARGV[g + 11])
  end
end
if #rows == 0 then return 1 end
local entry = cjson.encode(rows)
redis.call('RPUSH', KEYS[3], entry)
return entry
