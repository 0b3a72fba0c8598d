-- complete.lua: marks jobs of one queue completed, each only while its lease token still holds,
-- stores the next links of their chains in the same atomic step, and then hands the freed slots
-- their next jobs (so a busy worker needs one round trip per job, not two). Several completions
-- may come in one call: the driver batches completions that arrive while one call is in flight.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] completed  zset  completed at ms -> id
-- KEYS[3] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- KEYS[4] ready      KEYS[5] delayed   KEYS[6] pending   KEYS[7] retrying   KEYS[8] failed
-- KEYS[9] paused     (used by the refills, as in reserve.lua)
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3] number of completions c
-- then per completion: id, token, refill group (0 for none), k = number of next jobs, then k groups
--   of 11 fields: queue key base, queue name, then the 9 job fields of enqueue.lua
-- then per refill group 1, 2, ... (to the end): lease ms, token prefix, first token number, worker
--   id; a group gets one job per completion of it that succeeded
-- Returns { 1 or 0 per completion (0: the lease was lost, nothing changed), then per refill: the
-- number m of jobs handed out, then the FIELDS of each }.
local base = ARGV[1]
local now = now_ms()
local out = {}
local done = 0
local freed = {}
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  local id, token, group, k = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
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
    if group > 0 then freed[group] = (freed[group] or 0) + 1 end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  i = i + k * 11
end
if done > 0 then count_finished(KEYS[3], 'c', now, done) end

local qk = { ready = KEYS[4], delayed = KEYS[5], active = KEYS[1], pending = KEYS[6], retrying = KEYS[7],
  failed = KEYS[8], paused = KEYS[9] }
local group = 1
while i + 3 <= #ARGV do
  local at = #out + 1
  out[at] = 0
  out[at] = reserve_jobs(base, qk, now, freed[group] or 0, tonumber(ARGV[i]), ARGV[i + 1],
    tonumber(ARGV[i + 2]), ARGV[i + 3], out)
  i = i + 4
  group = group + 1
end
return out
