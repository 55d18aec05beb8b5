-- Replaces an agent's token hash, only while the agent is registered: a rotation racing with a delete must not
-- recreate the meta hash (and with it a working token) of an agent that is gone.
-- KEYS[1] the agent's meta hash
-- ARGV[1] the new token hash
-- Reply: 1 if replaced, 0 if the agent is not registered
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'tokenHash', ARGV[1])
return 1
