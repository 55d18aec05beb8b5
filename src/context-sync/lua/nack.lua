-- Negative acknowledgement of one message by one recipient in one mailbox slot: requeue (end the lease now, or
-- after a delay; the delivery count is kept, so it still counts toward the max deliveries) or reject (to the
-- recipient's dead letters now, reason 'rejected', through the same bury_entry as fetch's max_deliveries).
-- KEYS[1..4] the streams, critical .. low   KEYS[5] the slot's ids index
-- KEYS[6] the recipient's acked hash (direct: KEYS[5] again, the resolution is the ids value's third word)
-- KEYS[7] the recipient's cursor hash (also 'hold:<id>' -> due ms of a requeue delayed past the visibility timeout)
-- KEYS[8] its dead-letter stream   KEYS[9] its counters hash   KEYS[10] its dead-letter index
-- KEYS[11] broadcast: the members hash | direct: unused (the meta key)
-- ARGV[1] consumer group   ARGV[2] recipient agent id   ARGV[3] consumer ('' = any)   ARGV[4] 'requeue' | 'reject'
-- ARGV[5] delay ms   ARGV[6] visibility timeout ms   ARGV[7] now ms   ARGV[8] detail ('' = none)
-- ARGV[9] 'direct' | 'broadcast'   ARGV[10] the slot's wake channel   ARGV[11] the message id
-- Reply: {status, deliveries}: 1 requeued | 2 dead-lettered (deliveries -1: it was before) | -1 no such message here
--   | -2 here, but the agent is not a recipient | -3 acknowledged by the agent | -4 another consumer holds the lease
local group, agent, consumer, action = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local delay, visibility, now = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local message_id = ARGV[11]
local folded = KEYS[6] == KEYS[5]

local location = redis.call('HGET', KEYS[5], message_id)
if not location then return {-1, 0} end
local parts = split_words(location)
local p, entry_id = tonumber(parts[1]), parts[2]
local stream = KEYS[p + 1]
local found = redis.call('XRANGE', stream, entry_id, entry_id)
if #found == 0 then return {-1, 0} end
local entry = found[1]

if ARGV[9] == 'broadcast' then
  -- Recipients of a broadcast: members that joined before it, except its sender.
  local membership = redis.call('HGET', KEYS[11], agent)
  if not membership or not id_less(split_words(membership)[p + 1], entry_id) or field(entry, 'f') == agent then
    return {-2, 0}
  end
end

local state = resolution_of(KEYS[6], folded, message_id)
if state == 'd' then return {2, -1} end
if state == 'r' then return {-1, 0} end
if state then return {-3, 0} end

local held = redis.call('XPENDING', stream, group, entry_id, entry_id, 1)
local holder, idle, deliveries = nil, 0, 0
if #held > 0 then holder, idle, deliveries = held[1][2], tonumber(held[1][3]), tonumber(held[1][4]) end
if consumer ~= '' and holder and holder ~= consumer and idle < visibility then return {-4, deliveries} end

local hold_key = 'hold:' .. message_id
if action == 'reject' then
  redis.call('HDEL', KEYS[7], hold_key)
  bury_entry({stream = stream, acked = KEYS[6], folded = folded, cursor = KEYS[7], dead = KEYS[8], counters = KEYS[9],
    deadidx = KEYS[10]}, entry, {group = group, p = p, reason = 'rejected', detail = ARGV[8], now = now,
    deliveries = deliveries, read = holder ~= nil})
  return {2, deliveries}
end

-- Requeue. Never handed out (peek mode): it is pending already, nothing to end.
if not holder then return {1, 0} end
-- The lease runs out when the entry has been idle for the visibility timeout: set its idle time so that happens
-- now, or `delay` ms from now. JUSTID keeps the delivery count as it is.
if delay > visibility then
  redis.call('XCLAIM', stream, group, holder, 0, entry_id, 'IDLE', 0, 'JUSTID')
  redis.call('HSET', KEYS[7], hold_key, tonumber(now) + delay)
else
  redis.call('XCLAIM', stream, group, holder, 0, entry_id, 'IDLE', visibility - delay, 'JUSTID')
  redis.call('HDEL', KEYS[7], hold_key)
end
if delay == 0 then redis.call('SPUBLISH', ARGV[10], '') end
return {1, deliveries}
