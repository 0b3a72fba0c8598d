-- settle.lua: writes many outcomes of one queue, each fenced by its lease token, each on its own:
-- a job whose stored fields are corrupt is failed with the reason and the others still land.
-- KEYS[1] active     zset  lease expiry ms -> id
-- KEYS[2] completed  zset  completed at ms -> id
-- KEYS[3] throughput hash  'c:<minute>' / 'f:<minute>' -> count
-- KEYS[4] retrying   zset  0 -> id
-- KEYS[5] failed     zset  failed at ms -> id
-- KEYS[6] pending    zset  0 -> id
-- KEYS[7] held       zset  0 -> id
-- KEYS[8] (optional) the queue's history base '{prefix:queue}:': present when history is on
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3] queue name
-- ARGV[4] number of outcomes
-- ARGV[5] the queue's outbox key on Redis Cluster ('' on one server): batch events go there
-- then per outcome: kind ('c' complete, 'r' retry, 'f' fail, 'x' release), id, token, delay ms,
--   error text, k = number of next jobs (complete only, else 0), then k groups of 11 fields:
--   queue key base ('' on a cluster for another queue: the link goes to this queue's outbox
--   list, as a JSON array of the queue name and the 9 fields), queue name, then the 9 job fields
--   of enqueue.lua
-- Returns one value per outcome: 1 written, 0 lease lost (nothing changed); then the outbox
-- entries it wrote, if any (cluster: chain links and batch events, which the caller moves on).
-- Completion keeps 'reserved' (when the last attempt started) and clears the last error.
local base = ARGV[1]
local channel, queue = ARGV[2], ARGV[3]
local now = now_ms()
local out = {}
local completed, failed = 0, 0
local outbox, written = ARGV[5], {}
local history = history_open(base, KEYS[8] ~= nil)
local i = 6
for _ = 1, tonumber(ARGV[4]) do
  local kind, id, token, delay, err, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]) or 0,
    ARGV[i + 4], tonumber(ARGV[i + 5])
  i = i + 6
  local key = base .. 'job:' .. id
  local cur = redis.call('HMGET', key, 'status', 'token', 'priority', 'attempts', 'reserved', 'available',
    'worker', 'name')
  if cur[1] ~= 'processing' or cur[2] ~= token then
    out[#out + 1] = 0
  elseif kind == 'c' then
    redis.call('HSET', key, 'status', 'completed', 'processed', now, 'updated', now, 'error', '',
      'token', '', 'expires', '')
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[7], id)
    redis.call('ZADD', KEYS[2], now, id)
    for j = 0, k - 1 do
      local g = i + j * 11
      if ARGV[g] == '' then
        -- Cluster: another queue's slot is out of reach; its outbox entry is moved on after (outbox.ts).
        local entry = cjson.encode({ unpack(ARGV, g + 1, g + 10) })
        redis.call('RPUSH', base .. 'outbox', entry)
        written[#written + 1] = entry
      else
        insert_job(ARGV[g], ARGV[g + 1], now, ARGV, g + 2, channel)
      end
    end
    written[#written + 1] = batch_job_finished(key, 'completed', '', now, channel, outbox)
    completed = completed + 1
    history_record(history, id, cur[4], cur[8], cur[7], cur[5], cur[6], now, 'completed', nil)
    out[#out + 1] = 1
  elseif kind == 'f' or (kind == 'r' and tonumber(cur[3]) == nil) then
    local reason = err
    if kind == 'r' then reason = err .. ' (not retried: corrupt priority ' .. tostring(cur[3]) .. ')' end
    redis.call('HSET', key, 'status', 'failed', 'error', reason, 'failedAt', now, 'updated', now,
      'token', '', 'expires', '')
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[7], id)
    redis.call('ZADD', KEYS[5], now, id)
    written[#written + 1] = batch_job_finished(key, 'failed', reason, now, channel, outbox)
    failed = failed + 1
    history_record(history, id, cur[4], cur[8], cur[7], cur[5], cur[6], now, 'failed', reason)
    out[#out + 1] = 1
  elseif kind == 'r' then
    local due = now + delay
    redis.call('HSET', key, 'status', 'retrying', 'error', err, 'available', due, 'updated', now,
      'token', '', 'expires', '')
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[7], id)
    redis.call('ZADD', KEYS[4], 0, id)
    schedule(base, id, tonumber(cur[3]), due, now, channel, queue)
    history_record(history, id, cur[4], cur[8], cur[7], cur[5], cur[6], now, 'retried', err)
    out[#out + 1] = 1
  else
    -- Release: a held job (reserved empty) as it was, a started one without its attempt.
    local attempts = tonumber(cur[4])
    local bad = corrupt_numbers(cur[4], 0, cur[3])
    if bad then
      fail_corrupt(base, id, now, bad)
      failed = failed + 1
    else
      if cur[5] and cur[5] ~= '' then attempts = attempts - 1 end
      local status = 'pending'
      if attempts > 0 then status = 'retrying' end
      local due = now + delay
      redis.call('HSET', key, 'status', status, 'attempts', attempts, 'available', due, 'reserved', '',
        'updated', now, 'token', '', 'expires', '')
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[7], id)
      redis.call('ZADD', status == 'pending' and KEYS[6] or KEYS[4], 0, id)
      schedule(base, id, tonumber(cur[3]), due, now, channel, queue)
    end
    out[#out + 1] = 1
  end
  i = i + k * 11
end
history_flush(history, now)
if completed > 0 then count_finished(KEYS[3], 'c', now, completed) end
if failed > 0 then count_finished(KEYS[3], 'f', now, failed) end
for _, entry in ipairs(written) do out[#out + 1] = entry end
return out
