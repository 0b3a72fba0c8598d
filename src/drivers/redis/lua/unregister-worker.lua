-- unregister-worker.lua: removes a worker from the registry (it stopped).
-- KEYS[1] workers        hash  worker id -> 'startedAt|lastHeartbeatAt|<json>'
-- KEYS[2] workers expiry zset  expiry ms -> worker id
-- ARGV[1] worker id
-- Returns 1.
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
