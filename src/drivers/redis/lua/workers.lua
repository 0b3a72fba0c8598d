-- workers.lua: the live workers; drops the entries that lapsed.
-- KEYS[1] workers        hash  worker id -> 'startedAt|lastHeartbeatAt|<json>'
-- KEYS[2] workers expiry zset  expiry ms -> worker id
-- Returns { worker id, entry, worker id, entry, ... }.
local now = now_ms()
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #lapsed > 0 then
  redis.call('HDEL', KEYS[1], unpack(lapsed))
  redis.call('ZREM', KEYS[2], unpack(lapsed))
end
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[1], id)
  if entry then
    out[#out + 1] = id
    out[#out + 1] = entry
  end
end
return out
