-- Records an agent's capabilities in its meta hash, for agents registered before routing mirrored them; only while
-- the agent is registered (a delete racing with it must not recreate the meta) and only if none are recorded.
-- KEYS[1] the agent's meta hash
-- ARGV[1] the capabilities (JSON list)
-- Reply: 1 if recorded (then add the agent to its capability sets), 0 otherwise
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'caps', ARGV[1])
