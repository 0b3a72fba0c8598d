-- history.lua: a library loaded before every script with lib.lua (no KEYS or ARGV of its own):
-- the attempt history and metric cells of one queue, written by settle.lua and recover.lua as each started attempt ends,
-- inside the same script. Keys (all under the queue's hash tag, so one Cluster slot):
--   field 'hist' of the job hash   JSON array, oldest first, at most 25 entries (retried and failed
--                                  attempts; a completed one is read from the job hash), each
--                                  [attempt, worker, started ms, finished ms, wait ms, outcome, error]
--                                  (a field, not a key of its own: no extra key per job, and it goes
--                                  with the job hash)
--   base .. 'metrics:m:' .. minute hash, expires after 25 hours
--   base .. 'metrics:h:' .. hour   hash, expires after 26 hours (for day windows)
--   fields: kind (n count, s sum ms, x max ms) .. series (c r f w) .. bucket (2 digits) .. job name
-- The buckets are DURATION_BOUNDS_MS of src/drivers/insights.ts: change them together.
local HISTORY_BOUNDS = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000,
  120000, 300000, 600000, 1800000, 3600000 }
local HISTORY_KEPT = 25

local function duration_bucket(ms)
  for i, b in ipairs(HISTORY_BOUNDS) do
    if ms <= b then return i - 1 end
  end
  return #HISTORY_BOUNDS
end

-- A recorder for one script run; `on` false (history switched off) makes every call a no-op.
local function history_open(base, on)
  return { base = base, on = on, cells = {} }
end

local function history_cell(h, name, series, ms)
  local field = series .. string.format('%02d', duration_bucket(ms)) .. name
  local c = h.cells[field]
  if c then
    c.n = c.n + 1
    c.s = c.s + ms
    if ms > c.x then c.x = ms end
  else
    h.cells[field] = { n = 1, s = ms, x = ms }
  end
end

-- Records one ended attempt. `reserved` and `available` are the job's fields before the outcome
-- (when the attempt started, when it was due); outcome is 'completed', 'retried' or 'failed'.
local function history_record(h, id, attempts, name, worker, reserved, available, now, outcome, err)
  if not h.on then return end
  local started = tonumber(reserved)
  if not started then return end
  local run = math.max(0, now - started)
  local wait = math.max(0, started - (tonumber(available) or started))
  local series = 'r'
  if outcome == 'completed' then series = 'c' elseif outcome == 'failed' then series = 'f' end
  history_cell(h, name or '', series, run)
  history_cell(h, name or '', 'w', wait)
  -- A completed attempt is not copied into 'hist': the job hash keeps attempts, worker, reserved,
  -- processed and available after completion, and the reader (history.ts) adds it from them.
  if outcome == 'completed' then return end
  local key = h.base .. 'job:' .. id
  local entry = { tonumber(attempts) or 0, worker or '', started, now, wait, outcome, err or '' }
  local list = {}
  local old = redis.call('HGET', key, 'hist')
  if old then
    -- A corrupt field starts over rather than failing the outcome (rule 10: check before writing).
    local ok, decoded = pcall(cjson.decode, old)
    if ok and type(decoded) == 'table' then list = decoded end
  end
  list[#list + 1] = entry
  while #list > HISTORY_KEPT do table.remove(list, 1) end
  redis.call('HSET', key, 'hist', cjson.encode(list))
end

-- Writes the cells gathered in this run: one HINCRBY per cell and kind, whatever the batch size.
local function history_flush(h, now)
  if not h.on or next(h.cells) == nil then return end
  local minute_key = h.base .. 'metrics:m:' .. math.floor(now / 60000)
  local hour_key = h.base .. 'metrics:h:' .. math.floor(now / 3600000)
  for _, key in ipairs({ minute_key, hour_key }) do
    for field, c in pairs(h.cells) do
      redis.call('HINCRBY', key, 'n' .. field, c.n)
      redis.call('HINCRBY', key, 's' .. field, c.s)
      local max = tonumber(redis.call('HGET', key, 'x' .. field))
      if not max or c.x > max then redis.call('HSET', key, 'x' .. field, c.x) end
    end
  end
  redis.call('EXPIRE', minute_key, 90000)
  redis.call('EXPIRE', hour_key, 93600)
end
