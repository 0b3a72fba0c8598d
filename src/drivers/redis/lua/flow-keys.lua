-- flow-keys.lua: the locks and fixed-window counters of the job middleware.
-- KEYS[1] the key
-- ARGV[1] op: 'lock' (ARGV[2] owner, ARGV[3] ttl ms) -> 1 taken, 0 held by another;
--             'unlock' (ARGV[2] owner); 'hit' (ARGV[2] window ms, ARGV[3] max or '' for none)
--             -> { allowed 1/0, count, ms to reset }; 'clear'
local op = ARGV[1]
if op == 'lock' then
  local owner = redis.call('GET', KEYS[1])
  if owner and owner ~= ARGV[2] then return 0 end
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
elseif op == 'unlock' then
  if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
  return 1
elseif op == 'hit' then
  local count = tonumber(redis.call('GET', KEYS[1]) or '0')
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = 0 end
  local max = tonumber(ARGV[3])
  if max and count >= max then return { 0, count, ttl } end
  count = redis.call('INCR', KEYS[1])
  if count == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return { 1, count, ttl }
else
  redis.call('DEL', KEYS[1])
  return 1
end
