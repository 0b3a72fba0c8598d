-- reserve.lua: promotes due delayed jobs, then leases up to ARGV[2] jobs, lowest priority first,
-- then oldest. The first ARGV[7] start now (attempt counted); the others are held, uncharged.
-- KEYS[1] ready    zset  priority -> id
-- KEYS[2] delayed  zset  due ms -> id
-- KEYS[3] active   zset  lease expiry ms -> id (status processing: started or held)
-- KEYS[4] pending  zset  0 -> id
-- KEYS[5] retrying zset  0 -> id
-- KEYS[6] failed   zset  failed at ms -> id (for rows no code can run)
-- KEYS[7] paused   string, exists while the queue is paused
-- KEYS[8] held     zset  0 -> id (leased ahead, not started)
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] limit
-- ARGV[3] lease ms
-- ARGV[4] token prefix, random, made by the host; the jobs get prefix .. ARGV[6], prefix .. ARGV[6]+1, ...
-- ARGV[5] worker id
-- ARGV[6] first token number
-- ARGV[7] how many start now
-- Returns { due ms of the next delayed job or -1, Redis time now in ms, then the FIELDS of each
-- job handed out }.
local now = now_ms()
local out = { -1, now }
local k = { ready = KEYS[1], delayed = KEYS[2], active = KEYS[3], pending = KEYS[4], retrying = KEYS[5],
  failed = KEYS[6], paused = KEYS[7], held = KEYS[8] }
reserve_jobs(ARGV[1], k, now, tonumber(ARGV[2]), tonumber(ARGV[7]), tonumber(ARGV[3]), ARGV[4],
  tonumber(ARGV[6]), ARGV[5], out)
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if nxt[2] then out[1] = tonumber(nxt[2]) end
return out
