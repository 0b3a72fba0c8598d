-- lib.lua: helpers prepended to every other script by scripts.ts. It has no KEYS or ARGV.
-- All keys of one queue start with its base '{prefix:queue}:' (one hash tag, so one Redis Cluster
-- slot); a job's hash is base .. 'job:' .. id. Empty strings stand for null fields.

-- The order in which scripts return a job's fields; codec.ts reads them in the same order.
local FIELDS = { 'id', 'queue', 'name', 'payload', 'attempts', 'max', 'status', 'priority', 'available',
  'reserved', 'processed', 'failedAt', 'error', 'timeout', 'created', 'updated', 'meta', 'token' }

-- The store's clock in ms: one clock for every host, whatever their own clocks say.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function read_job(key)
  return redis.call('HMGET', key, unpack(FIELDS))
end

local function publish(channel, queue)
  if channel ~= '' then redis.call('PUBLISH', channel, queue) end
end

-- Puts a waiting job where reserve finds it: the ready set (by priority, ties by id, so oldest
-- first) when due, else the delayed set (by due time). Wakes idle workers when the ready set was
-- empty: workers that are busy refill by themselves when a slot frees.
local function schedule(base, id, priority, due, now, channel, queue)
  if due <= now then
    local ready = base .. 'ready'
    local was_empty = redis.call('ZCARD', ready) == 0
    redis.call('ZADD', ready, priority, id)
    if was_empty then publish(channel, queue) end
  else
    redis.call('ZADD', base .. 'delayed', due, id)
  end
end

-- Stores one new job from a[i..i+8] = id, name, payload, maxAttempts, priority, timeout,
-- delayMs, availableAt ms ('' for none), meta. Returns 0 when the id exists already: a command
-- resent after a reconnect must not store a job twice.
local function insert_job(base, queue, now, a, i, channel)
  local id = a[i]
  local key = base .. 'job:' .. id
  if redis.call('EXISTS', key) == 1 then return 0 end
  local due = now + tonumber(a[i + 6])
  if a[i + 7] ~= '' then due = tonumber(a[i + 7]) end
  -- Null fields are simply absent until a transition sets them.
  redis.call('HSET', key, 'id', id, 'queue', queue, 'name', a[i + 1], 'payload', a[i + 2], 'attempts', 0,
    'max', a[i + 3], 'status', 'pending', 'priority', a[i + 4], 'available', due, 'timeout', a[i + 5],
    'created', now, 'updated', now, 'meta', a[i + 8])
  redis.call('ZADD', base .. 'pending', 0, id)
  redis.call('ZADD', base .. 'all', 0, id)
  schedule(base, id, tonumber(a[i + 4]), due, now, channel, queue)
  return 1
end

-- insert_job, then the job's group ('' for none) on a job it stored.
local function insert_job_in_group(base, queue, now, a, i, channel, group)
  local stored = insert_job(base, queue, now, a, i, channel)
  if stored == 1 and group ~= '' then redis.call('HSET', base .. 'job:' .. a[i], 'group', group) end
  return stored
end

-- Counts finished jobs per minute in one hash per queue. On the first count of a minute, minutes
-- older than three hours are dropped, so the hash stays small without a sweeper.
local function count_finished(tp, kind, now, n)
  local minute = math.floor(now / 60000)
  if redis.call('HINCRBY', tp, kind .. ':' .. minute, n) == n then
    for _, f in ipairs(redis.call('HKEYS', tp)) do
      local m = tonumber(string.sub(f, 3))
      if m and m < minute - 180 then redis.call('HDEL', tp, f) end
    end
  end
end

-- Fails one job whose stored fields cannot be read (rule 7: one bad row never wedges a queue),
-- with the reason, and takes it out of every waiting and lease set. Nothing else is touched.
local function fail_corrupt(base, id, now, reason)
  local key = base .. 'job:' .. id
  redis.call('HSET', key, 'status', 'failed', 'failedAt', now, 'updated', now, 'token', '', 'expires', '',
    'error', 'Corrupt job row: ' .. reason)
  for _, set in ipairs({ 'ready', 'delayed', 'pending', 'retrying', 'active', 'held' }) do
    redis.call('ZREM', base .. set, id)
  end
  redis.call('ZADD', base .. 'failed', now, id)
end

-- The reason a job's numeric fields are unusable, or nil when they are fine.
local function corrupt_numbers(attempts, max, priority)
  if tonumber(attempts) == nil then return 'attempts is not a number (' .. tostring(attempts) .. ')' end
  if tonumber(max) == nil then return 'max attempts is not a number (' .. tostring(max) .. ')' end
  if tonumber(priority) == nil then return 'priority is not a number (' .. tostring(priority) .. ')' end
  return nil
end

-- Promotes due delayed jobs, then leases up to `limit` jobs, lowest priority first, then oldest,
-- with tokens token_prefix .. n (n from first_n) and the lease expiry. The first `start` of them
-- start now (attempt counted, reserved = now); the others are held (attempts unchanged, reserved
-- empty, listed in the held set) until start.lua. Every field is checked before anything is
-- written: a job whose numbers are corrupt is failed with its reason and the others go on.
-- Appends the FIELDS of each job to `out`; returns how many it handed out.
local function reserve_jobs(base, k, now, limit, start, lease_ms, token_prefix, first_n, worker, out)
  local due = redis.call('ZRANGEBYSCORE', k.delayed, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(due) do
    local p = redis.call('HGET', base .. 'job:' .. id, 'priority')
    redis.call('ZREM', k.delayed, id)
    if p then
      if tonumber(p) == nil then fail_corrupt(base, id, now, 'priority is not a number (' .. p .. ')')
      else redis.call('ZADD', k.ready, tonumber(p), id) end
    end
  end
  if limit <= 0 or redis.call('EXISTS', k.paused) == 1 then return 0 end

  local expires = now + lease_ms
  local n = 0
  -- Pop one at a time past corrupt rows, so a bad row does not cost a healthy job its turn.
  while n < limit do
    local popped = redis.call('ZPOPMIN', k.ready, limit - n)
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      local id = popped[i]
      local key = base .. 'job:' .. id
      local job = read_job(key)
      local status = job[7]
      if status == 'pending' or status == 'retrying' then
        local bad = corrupt_numbers(job[5], job[6], job[8])
        if bad then
          fail_corrupt(base, id, now, bad)
        else
          local token = token_prefix .. (first_n + n)
          local starting = n < start
          n = n + 1
          local attempts = tonumber(job[5])
          local reserved = ''
          if starting then
            attempts = attempts + 1
            reserved = now
          end
          redis.call('HSET', key, 'status', 'processing', 'attempts', attempts, 'reserved', reserved,
            'updated', now, 'token', token, 'expires', expires, 'worker', worker, 'from', status)
          redis.call('ZADD', k.active, expires, id)
          if not starting then redis.call('ZADD', k.held, 0, id) end
          redis.call('ZREM', status == 'pending' and k.pending or k.retrying, id)
          job[5] = attempts
          job[7] = 'processing'
          job[10] = reserved
          job[16] = now
          job[18] = token
          for f = 1, #FIELDS do out[#out + 1] = job[f] end
        end
      elseif job[1] and status ~= 'processing' and status ~= 'completed' and status ~= 'failed' then
        -- A row no code knows how to run: fail it with the reason instead of wedging the queue.
        fail_corrupt(base, id, now, 'unknown status ' .. tostring(status))
      end
    end
  end
  return n
end

-- Batches (issue 18). A batch's hash is '{prefix}:batch:<id>' (the cross-queue tag): its jobs may
-- sit on several queues. On one server its counters and due callbacks move inside the script that
-- finishes a job, so a crash keeps all or nothing, and each callback is taken out of the hash as
-- it is stored: never stored twice. On Redis Cluster the batch is in another slot than the job:
-- the finishing script writes a batch event into its own queue's outbox instead (same slot, same
-- step), and the mover applies it to the batch once (batch-apply.lua, outbox.ts).

-- The batch id in a job's meta JSON, or nil. Cheap when the job has no batch.
local function batch_of(meta)
  if not meta or meta == '' or not string.find(meta, '"batch"', 1, true) then return nil end
  local ok, decoded = pcall(cjson.decode, meta)
  if not ok or type(decoded) ~= 'table' or type(decoded.batch) ~= 'string' then return nil end
  return decoded.batch
end

-- The prefix of a key '{prefix:queue}:...' (prefixes never contain ':').
local function prefix_of(key)
  return string.match(key, '^{([^:]*):')
end

-- A callback spec (JSON with id, queueName, jobName, payload, ...) as a row of the cross-queue
-- outbox: queue name, the 9 fields of enqueue.lua (due now), group (''). nil when unreadable.
local function spec_row(spec_text)
  local ok, spec = pcall(cjson.decode, spec_text)
  if not ok or type(spec) ~= 'table' or type(spec.queueName) ~= 'string' then return nil end
  local timeout = spec.timeoutSeconds
  if timeout == nil or timeout == cjson.null then timeout = '' end
  return { spec.queueName, tostring(spec.id), tostring(spec.jobName), tostring(spec.payload),
    tostring(spec.maxAttempts), tostring(spec.priority), tostring(timeout), '0', '', '', '' }
end

-- Stores a callback job from its spec, due now (one server: the queue's slot is reachable).
local function insert_spec(prefix, spec_text, now, channel)
  local row = spec_row(spec_text)
  if not row then return end
  local queue = row[1]
  redis.call('SADD', '{' .. prefix .. '}:queues', queue)
  insert_job('{' .. prefix .. ':' .. queue .. '}:', queue, now, row, 2, channel)
end

-- Counts a job that finished for good (status 'completed' or 'failed', err its error text) on the
-- batch hash bkey; returns the callback specs that became due, each taken out of the hash.
local function batch_count_finished(bkey, status, err, now)
  local pending = redis.call('HINCRBY', bkey, 'pending', -1)
  if pending < 0 then
    redis.call('HSET', bkey, 'pending', 0)
    pending = 0
  end
  local failed = tonumber(redis.call('HGET', bkey, 'failed')) or 0
  local is_failure = false
  if status == 'failed' then
    failed = redis.call('HINCRBY', bkey, 'failed', 1)
    is_failure = string.sub(err or '', 1, 9) ~= 'Cancelled'
    if redis.call('HGET', bkey, 'allow') ~= '1' and (redis.call('HGET', bkey, 'cancelled') or '') == '' then
      redis.call('HSET', bkey, 'cancelled', now)
    end
  end
  if pending == 0 then redis.call('HSET', bkey, 'finished', now) end
  local cancelled = (redis.call('HGET', bkey, 'cancelled') or '') ~= ''
  local due = {}
  local function take(field)
    local spec = redis.call('HGET', bkey, field)
    if spec and spec ~= '' then
      redis.call('HDEL', bkey, field)
      due[#due + 1] = spec
    end
  end
  if is_failure then take('catch') end
  if pending == 0 and failed == 0 and not cancelled then take('then') end
  if pending == 0 then take('finally') end
  return due
end

-- A failed job of the batch bkey was retried: it counts as pending again.
local function batch_count_revived(bkey)
  redis.call('HINCRBY', bkey, 'pending', 1)
  if (tonumber(redis.call('HGET', bkey, 'failed')) or 0) > 0 then redis.call('HINCRBY', bkey, 'failed', -1) end
  redis.call('HSET', bkey, 'finished', '')
end

-- Cluster: the batch event of job `key` ('completed', 'failed' or 'revived') goes to the queue's
-- outbox, numbered by the job's own batch sequence, so that batch-apply.lua applies it once.
-- Returns the entry.
local function batch_event_to_outbox(key, outbox, batch, event, err)
  local seq = redis.call('HINCRBY', key, 'bseq', 1)
  local entry = cjson.encode({ b = batch, j = redis.call('HGET', key, 'id'), s = seq, e = event, m = err or '' })
  redis.call('RPUSH', outbox, entry)
  return entry
end

-- A job finished for good (status 'completed' or 'failed', err its error text). outbox: '' on
-- one server, the queue's outbox key on a cluster. Returns the outbox entry it wrote, or nil.
local function batch_job_finished(key, status, err, now, channel, outbox)
  local batch = batch_of(redis.call('HGET', key, 'meta'))
  if not batch then return nil end
  if outbox and outbox ~= '' then return batch_event_to_outbox(key, outbox, batch, status, err) end
  local prefix = prefix_of(key)
  local bkey = '{' .. prefix .. '}:batch:' .. batch
  if redis.call('EXISTS', bkey) == 0 then return nil end
  for _, spec in ipairs(batch_count_finished(bkey, status, err, now)) do insert_spec(prefix, spec, now, channel) end
  return nil
end

-- A failed job of a batch was retried: it counts as pending again. outbox as above.
local function batch_job_revived(key, outbox)
  local batch = batch_of(redis.call('HGET', key, 'meta'))
  if not batch then return end
  if outbox and outbox ~= '' then
    batch_event_to_outbox(key, outbox, batch, 'revived', '')
    return
  end
  local bkey = '{' .. prefix_of(key) .. '}:batch:' .. batch
  if redis.call('EXISTS', bkey) == 0 then return end
  batch_count_revived(bkey)
end
