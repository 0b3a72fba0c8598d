-- batch-apply.lua: (Redis Cluster) applies one batch event moved from a queue's outbox
-- (outbox.ts) to its batch, once. Each event carries the job's batch sequence number (settle,
-- recover, cancel and retry number them in the job's slot); an event is applied only when its
-- number is above the last one applied for that job, so a move replayed after a crash, or made by
-- two processes at once, counts nothing twice. Callbacks that become due go to the cross-queue
-- outbox (same slot as the batch) in the same step, to be stored in their queues by the mover.
-- KEYS[1] batch hash   '{prefix}:batch:<id>'
-- KEYS[2] applied hash '{prefix}:batch:<id>:applied'  job id -> last sequence number applied
-- KEYS[3] cross-queue outbox list '{prefix}:outbox'
-- ARGV[1] job id, ARGV[2] sequence number, ARGV[3] 'completed', 'failed' or 'revived',
-- ARGV[4] error text of a failure
-- Returns the outbox entries written (none, or one holding the due callbacks).
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local seq = tonumber(ARGV[2]) or 0
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') or 0
if seq <= last then return {} end
redis.call('HSET', KEYS[2], ARGV[1], seq)
if ARGV[3] == 'revived' then
  batch_count_revived(KEYS[1])
  return {}
end
local rows = {}
for _, spec in ipairs(batch_count_finished(KEYS[1], ARGV[3], ARGV[4], now_ms())) do
  local row = spec_row(spec)
  if row then rows[#rows + 1] = row end
end
if #rows == 0 then return {} end
local entry = cjson.encode(rows)
redis.call('RPUSH', KEYS[3], entry)
return { entry }
