-- activity.lua: reads the activity log, newest first, of one job when ARGV[1] is set.
-- KEYS[1] activity list  'createdAt ms|<json>'
-- ARGV[1] '"jobId":<json string of the id>' to match, or '' for every entry
-- ARGV[2] how many entries at most
-- Returns the entries.
local limit = tonumber(ARGV[2])
if ARGV[1] == '' then return redis.call('LRANGE', KEYS[1], 0, limit - 1) end
local out = {}
local start = 0
while #out < limit do
  local chunk = redis.call('LRANGE', KEYS[1], start, start + 999)
  if #chunk == 0 then break end
  for _, entry in ipairs(chunk) do
    if string.find(entry, ARGV[1], 1, true) then
      out[#out + 1] = entry
      if #out >= limit then break end
    end
  end
  start = start + 1000
end
return out
