-- Extends the lease a consumer holds on one message of one recipient (POST /v1/messages/{id}/lease): the entry
-- stays with it until now + extendMs, even beyond the visibility timeout. Up to the visibility timeout the group's
-- own idle time does it (XCLAIM ... IDLE sets it so the lease runs out exactly then); beyond it, the recipient's
-- leases zset holds the entry back from fetch.lua's reclaim until the time it records.
-- KEYS[1..4] the streams, critical .. low   KEYS[5] the slot's ids index
-- KEYS[6] the recipient's acked hash (direct: KEYS[5] again, the resolution is the ids value's third word)
-- KEYS[7] the recipient's leases zset ("<p> <entry id>" -> ms until which its consumer keeps it)
-- ARGV[1] the recipient's consumer group   ARGV[2] consumer   ARGV[3] message id   ARGV[4] now ms
-- ARGV[5] extend ms   ARGV[6] visibility timeout ms
-- Reply: {1, leased until ms} | {-1} no such message in this slot
--   | {-2} another consumer of the recipient holds it now | {-3} this consumer does not hold it (not leased,
--   leased to another whose lease ran out, resolved, expired)
local group, consumer, message_id = ARGV[1], ARGV[2], ARGV[3]
local now, extend_ms, visibility = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local location = redis.call('HGET', KEYS[5], message_id)
if not location then return {-1} end
local parts = split_words(location)
local p, entry_id = tonumber(parts[1]), parts[2]
local stream = KEYS[p + 1]
local found = redis.call('XRANGE', stream, entry_id, entry_id)
local resolved = resolution_of(KEYS[6], KEYS[6] == KEYS[5], message_id) ~= nil
if #found == 0 or resolved or is_expired(found[1], now) then return {-3} end

-- A recipient's group exists on every stream it reads; a broadcast slot's agent that is not a member has none.
local ok, held = pcall(redis.call, 'XPENDING', stream, group, entry_id, entry_id, 1)
if not ok or #held == 0 then return {-3} end
local member = p .. ' ' .. entry_id
if held[1][2] ~= consumer then
  local idle = tonumber(held[1][3])
  local until_ms = tonumber(redis.call('ZSCORE', KEYS[7], member) or 0)
  if idle < visibility or until_ms > now then return {-2} end
  return {-3}
end

local until_ms = now + extend_ms
-- JUSTID: taking it over from itself is not a delivery (the delivery count stays).
redis.call('XCLAIM', stream, group, consumer, 0, entry_id, 'IDLE', math.max(0, visibility - extend_ms), 'JUSTID')
if extend_ms > visibility then
  redis.call('ZADD', KEYS[7], until_ms, member)
else
  redis.call('ZREM', KEYS[7], member)
end
return {1, until_ms}
