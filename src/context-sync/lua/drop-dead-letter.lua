-- Takes a broadcast dead letter out of a member's dead letters once a copy of it is pending in the member's
-- direct mailbox (requeue), and marks the broadcast 'r' for the member: its state lives in the direct mailbox now.
-- KEYS[1] the member's dead-letter stream   KEYS[2] its dead-letter index (message id -> entry id in KEYS[1])
-- KEYS[3] the member's acked hash on the broadcast streams   KEYS[4] the member's counters hash
-- ARGV[1] message id
-- Reply: 1 if the dead letter was removed now, 0 if it was not there
local dead_id = redis.call('HGET', KEYS[2], ARGV[1])
if not dead_id then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], ARGV[1]) == 'd' then redis.call('HSET', KEYS[3], ARGV[1], 'r') end
if redis.call('XDEL', KEYS[1], dead_id) == 0 then return 0 end
redis.call('HINCRBY', KEYS[4], 'dead', -1)
return 1
