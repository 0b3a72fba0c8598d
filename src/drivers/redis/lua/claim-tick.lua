-- claim-tick.lua: stores a schedule tick's job if the tick is newer than the last one dispatched
-- (compare-and-set and insert in one step: however many schedulers race, one wins).
-- KEYS[1] schedule hash '{prefix}:schedule:<name>'
-- ARGV[1] tick ms, ARGV[2] wake-up channel, ARGV[3] queue key base, ARGV[4] queue name,
-- ARGV[5..13] the 9 fields of enqueue.lua
-- Returns 1 when this call won the tick, else 0.
local cur = redis.call('HMGET', KEYS[1], 'name', 'lastTick')
if not cur[1] then return 0 end
local tick = tonumber(ARGV[1])
if cur[2] and cur[2] ~= '' and tonumber(cur[2]) >= tick then return 0 end
redis.call('HSET', KEYS[1], 'lastTick', tick)
insert_job(ARGV[3], ARGV[4], now_ms(), ARGV, 5, ARGV[2])
return 1
