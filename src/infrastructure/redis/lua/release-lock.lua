-- Compare-and-delete: releases a lock only while it still holds this holder's token, so a replica whose lock
-- expired while it worked never releases the lock another replica has taken since.
-- KEYS[1] the lock (RedisKeys.lock)
-- ARGV[1] the holder's token
-- Reply: 1 if released, 0 if the lock was not ours any more
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
