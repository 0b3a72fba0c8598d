-- register-worker.lua: adds or renews a worker in the registry; the entry lapses after ARGV[3] ms
-- unless renewed. Lapsed entries of other workers are dropped on the way.
-- KEYS[1] workers        hash  worker id -> 'startedAt|lastHeartbeatAt|<json>'
-- KEYS[2] workers expiry zset  expiry ms -> worker id
-- ARGV[1] worker id
-- ARGV[2] JSON of host, pid, queues, concurrency, jobsDone
-- ARGV[3] time to live in ms
-- Returns 1.
local now = now_ms()
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
if #lapsed > 0 then
  redis.call('HDEL', KEYS[1], unpack(lapsed))
  redis.call('ZREM', KEYS[2], unpack(lapsed))
end
local started = now
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then started = tonumber(string.match(existing, '^(%d+)|')) or now end
redis.call('HSET', KEYS[1], ARGV[1], started .. '|' .. now .. '|' .. ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
