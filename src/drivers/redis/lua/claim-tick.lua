-- claim-tick.lua: stores a schedule tick's job if the tick is newer than the last one dispatched
-- (compare-and-set and insert in one step: however many schedulers race, one wins).
-- KEYS[1] schedule hash '{prefix}:schedule:<name>'
-- KEYS[2] cross-queue outbox list '{prefix}:outbox' (Redis Cluster)
-- ARGV[1] tick ms, ARGV[2] wake-up channel, ARGV[3] queue key base ('' on Redis Cluster: the job
-- goes to the cross-queue outbox, this slot, and the caller moves it on after; outbox.ts),
-- ARGV[4] queue name, ARGV[5..13] the 9 fields of enqueue.lua
-- Returns 1 (or the outbox entry) when this call won the tick, else 0.
local cur = redis.call('HMGET', KEYS[1], 'name', 'lastTick')
if not cur[1] then return 0 end
local tick = tonumber(ARGV[1])
if cur[2] and cur[2] ~= '' and tonumber(cur[2]) >= tick then return 0 end
redis.call('HSET', KEYS[1], 'lastTick', tick)
if ARGV[3] == '' then
  local row = { unpack(ARGV, 4, 13) }
  row[#row + 1] = ''
  local entry = cjson.encode({ row })
  redis.call('RPUSH', KEYS[2], entry)
  return entry
end
insert_job(ARGV[3], ARGV[4], now_ms(), ARGV, 5, ARGV[2])
return 1
