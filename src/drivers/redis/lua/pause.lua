-- pause.lua: pauses or resumes one queue. reserve.lua hands out nothing while the flag exists.
-- KEYS[1] paused flag of the queue (string)
-- ARGV[1] 'pause' or 'resume'
-- ARGV[2] wake-up channel ('' for none)
-- ARGV[3] queue name
-- Returns 1.
if ARGV[1] == 'pause' then
  redis.call('SET', KEYS[1], '1')
else
  redis.call('DEL', KEYS[1])
  publish(ARGV[2], ARGV[3])
end
return 1
