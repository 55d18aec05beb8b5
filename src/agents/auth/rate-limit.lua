-- Fixed-window request counter, one round trip per request.
-- KEYS[1] the counter of one agent and throttler (RedisKeys.rateLimit: in the agent's hash slot)
-- ARGV[1] the window length in ms
-- Reply: { hits in the current window (this request included), ms until the window ends }
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }
