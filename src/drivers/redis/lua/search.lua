-- search.lua: one bounded step of a text search over an index set of one queue (no SCAN).
-- KEYS[1] the index set (all, or one status set)
-- ARGV[1] queue key base '{prefix:queue}:'
-- ARGV[2] the text: matches the id exactly, or a substring of the job name, payload or error
-- ARGV[3] start rank   ARGV[4] how many to look at   ARGV[5] '1' for descending order
-- Returns { number looked at, then id, score of each match }.
local start = tonumber(ARGV[3])
local stop = start + tonumber(ARGV[4]) - 1
local range
if ARGV[5] == '1' then
  range = redis.call('ZREVRANGE', KEYS[1], start, stop, 'WITHSCORES')
else
  range = redis.call('ZRANGE', KEYS[1], start, stop, 'WITHSCORES')
end
local needle = ARGV[2]
local out = { #range / 2 }
for i = 1, #range, 2 do
  local id = range[i]
  local hit = id == needle
  if not hit then
    local row = redis.call('HMGET', ARGV[1] .. 'job:' .. id, 'name', 'payload', 'error')
    hit = (row[1] and string.find(row[1], needle, 1, true) ~= nil)
      or (row[2] and string.find(row[2], needle, 1, true) ~= nil)
      or (row[3] and string.find(row[3], needle, 1, true) ~= nil)
  end
  if hit then
    out[#out + 1] = id
    out[#out + 1] = range[i + 1]
  end
end
return out
