-- job-data.lua: stores a running job's progress and/or result, fenced by its lease token.
-- KEYS[1] job hash
-- ARGV[1] lease token
-- ARGV[2] progress JSON ('' to leave it)
-- ARGV[3] result JSON ('' to leave it)
-- Returns 1 when stored, 0 when the lease is no longer held.
local cur = redis.call('HMGET', KEYS[1], 'status', 'token')
if cur[1] ~= 'processing' or cur[2] ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'progress', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[3]) end
return 1
