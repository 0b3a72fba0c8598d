-- log-activity.lua: appends entries to the activity log, newest first, capped in length.
-- KEYS[1] activity list  'createdAt ms|<json>'
-- ARGV[1] how many entries the list keeps at most
-- ARGV[2..] JSON of each entry
-- Returns 1.
local now = now_ms()
for i = 2, #ARGV do
  redis.call('LPUSH', KEYS[1], now .. '|' .. ARGV[i])
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return 1
