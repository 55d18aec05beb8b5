-- Hands the delayed messages that are due to one scheduler, leasing each for ARGV[2] ms (its score moves that far
-- ahead): another replica's scheduler does not take them meanwhile, and they come back if this one dies before
-- publishing. Publishing is idempotent (publish.lua's ids index), so a taken-back message is still delivered once.
-- KEYS[1] the delayed queue (zset: message id -> due ms)   KEYS[2] the delayed items (hash: message id -> JSON)
-- ARGV[1] now ms   ARGV[2] lease ms   ARGV[3] at most this many
-- Reply: {message id, JSON, ...} (an id whose item is gone is dropped from the queue)
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(due) do
  local item = redis.call('HGET', KEYS[2], id)
  if item then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), id)
    out[#out + 1] = id
    out[#out + 1] = item
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
