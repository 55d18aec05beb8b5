-- Acknowledges one message for one recipient in one mailbox slot. Idempotent.
-- KEYS[1..4] the streams, critical .. low   KEYS[5] the slot's ids index   KEYS[6] the recipient's acked hash
-- KEYS[7] the recipient's cursor hash        KEYS[8] the slot's ack log (stream, for the archiver)
-- KEYS[9] the recipient's counters hash      KEYS[10] broadcast: the members hash | direct: unused (the meta key)
-- ARGV[1] message id  ARGV[2] consumer group  ARGV[3] recipient agent id  ARGV[4] now ms  ARGV[5] 'direct'|'broadcast'
-- Reply: {1, ms} acknowledged now | {0, ms} acknowledged before | {-1} no such message here | {-2} not a recipient
local message_id, group, agent, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local location = redis.call('HGET', KEYS[5], message_id)
if not location then return {-1} end
local parts = split_words(location)
local p, entry_id = tonumber(parts[1]), parts[2]
local stream = KEYS[p + 1]

local found = redis.call('XRANGE', stream, entry_id, entry_id)
if #found == 0 then return {-1} end

if ARGV[5] == 'broadcast' then
  -- Recipients of a broadcast: members that joined before it, except its sender.
  local joined = redis.call('HGET', KEYS[10], agent)
  if not joined or not id_less(split_words(joined)[p + 1], entry_id) then return {-2} end
  if field(found[1], 'f') == agent then return {-2} end
end

local before = redis.call('HGET', KEYS[6], message_id)
if before and before ~= 'd' then return {0, before} end

local cursor = redis.call('HGET', KEYS[7], 'c:' .. p) or '0-0'
redis.call('HSET', KEYS[6], message_id, now)
redis.call('HINCRBY', KEYS[9], 'acked', 1)
if redis.call('EXISTS', KEYS[8]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[8], 'archive', '0', 'MKSTREAM')
end
redis.call('XADD', KEYS[8], '*', 'm', message_id, 'a', agent, 'at', now)
if before == 'd' then return {1, now} end
if id_less(cursor, entry_id) then
  -- Not handed to the group yet (peek mode): remember it, then move the cursor over every resolved entry
  -- directly after it, so the next peek starts at the first unresolved one.
  redis.call('HINCRBY', KEYS[7], 'early', 1)
  local steps = 0
  while steps < 1000 do
    local following = redis.call('XRANGE', stream, '(' .. cursor, '+', 'COUNT', 1)
    if #following == 0 or redis.call('HEXISTS', KEYS[6], field(following[1], 'm')) == 0 then break end
    cursor = following[1][1]
    steps = steps + 1
  end
  if steps > 0 then
    redis.call('XGROUP', 'SETID', stream, group, cursor)
    redis.call('HSET', KEYS[7], 'c:' .. p, cursor)
    redis.call('HINCRBY', KEYS[7], 'r:' .. p, steps)
    redis.call('HINCRBY', KEYS[7], 'early', -steps)
  end
else
  redis.call('XACK', stream, group, entry_id)
end
return {1, now}
