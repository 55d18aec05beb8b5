-- Keeps a delayed message until it is due. Idempotent on the message id: a second schedule changes nothing.
-- KEYS[1] the delayed queue (zset: message id -> due ms)   KEYS[2] the delayed items (hash: message id -> JSON)
-- ARGV[1] message id   ARGV[2] due ms   ARGV[3] the publish to make when due (JSON)
-- Reply: {1} scheduled now | {0, JSON} scheduled before (the stored publish)
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then
  return {0, redis.call('HGET', KEYS[2], ARGV[1])}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return {1}
