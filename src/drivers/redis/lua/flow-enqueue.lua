-- flow-enqueue.lua: stores unique or grouped jobs of one queue. A unique job is stored only when
-- no live job (pending, processing, retrying) of the queue holds its key, lock unexpired.
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] pending, KEYS[4] all (as enqueue.lua)
-- KEYS[5] unique   hash  unique key -> id of the job that took it last
-- ARGV[1] queue key base, ARGV[2] queue name, ARGV[3] wake-up channel
-- ARGV[4..] 12 fields per job: the 9 of enqueue.lua, then unique key ('' for none),
--           uniqueFor ms (0: while live), group ('' for none)
-- Returns per job the id now holding its place: its own, or the live job's.
local now = now_ms()
local out = {}
for i = 4, #ARGV, 12 do
  local id, ukey, ufor, group = ARGV[i], ARGV[i + 9], tonumber(ARGV[i + 10]) or 0, ARGV[i + 11]
  local holder = nil
  if ukey ~= '' then
    local h = redis.call('HGET', KEYS[5], ukey)
    if h then
      local cur = redis.call('HMGET', ARGV[1] .. 'job:' .. h, 'status', 'uuntil')
      local live = cur[1] == 'pending' or cur[1] == 'processing' or cur[1] == 'retrying'
      if live and (cur[2] == false or cur[2] == '' or tonumber(cur[2]) > now) then holder = h end
    end
  end
  if holder then
    out[#out + 1] = holder
  else
    insert_job(ARGV[1], ARGV[2], now, ARGV, i, ARGV[3])
    local key = ARGV[1] .. 'job:' .. id
    if group ~= '' then redis.call('HSET', key, 'group', group) end
    if ukey ~= '' then
      redis.call('HSET', KEYS[5], ukey, id)
      redis.call('HSET', key, 'ukey', ukey)
      if ufor > 0 then redis.call('HSET', key, 'uuntil', now + ufor) end
    end
    out[#out + 1] = id
  end
end
return out
