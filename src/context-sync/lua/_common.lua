-- Shared helpers, prepended to every ContextSync script by mailbox.scripts.ts.
--
-- ==== Schema (mirrored in redis-schema.ts; README.md walks a message through it) ==============================
-- Slots: every key of an agent carries the hash tag {agent:<id>}, every broadcast key {broadcast}; a script
-- touches one slot. Per slot ("<p>" is the priority index 0 critical .. 3 low):
--   stream:<priority>   stream, one per priority. Entry fields:
--                         m  message id   f  sender   ty  type ('' = none)   p  payload (JSON)   ts  sent at (ms)
--                         to  '' | 'broadcast' (a broadcast dead letter requeued as a copy into a direct stream)
--                         ex  expiry (ms) of a message published with ttlSeconds; absent without a TTL
--                         optional, absent when unused: rt  the message it answers   rb  'capability:<name>'
--                         da  due ms of a delayed message (absent when not delayed)
--   ids                 hash  message id -> "<p> <entry id>" (idempotent publish, lookups by id); in a direct slot
--                         "<p> <entry id> <resolution>" once its one recipient resolved it (see acked, below)
--   acked:<member>      hash  (broadcast) message id -> the member's resolution. A direct slot has one recipient:
--                         its resolutions are the third word of the ids value instead (no hash entry per message;
--                         scripts are handed the ids key as its "acked" key). A resolution is:
--                         ack time in ms (acknowledged)
--                         | 's' the sender's own broadcast | 'd' dead-lettered | 'r' broadcast dead letter requeued
--                           into the member's direct mailbox (its state lives there now)
--                         | 'x' expired (past its ex) before the recipient acknowledged it
--   leases[:<member>]   zset  "<p> <entry id>" -> ms until which a held entry stays with its consumer, past the
--                         visibility timeout (POST /v1/messages/{id}/lease); stale members go on the next lease read
--   cursor[:<member>]   hash  c:<p> last entry id handed to the recipient's group   r:<p> entries it has read
--                         early, early:<p> entries resolved before they were read
--                         hold:<message id> due ms of a nack's requeue delayed past the visibility timeout
--   counters[:<member>] hash  acked, dead (the recipient's totals); direct slot also added:<p>
--   stats               hash  (broadcast slot) added:<p> broadcasts ever appended; a direct slot uses counters
--   acklog              stream acks for the archiver: m message id, a agent id, at ms
--   dead[:<member>]     stream dead letters: the entry's fields plus pr <p>, reason, detail, deadAt ms, dc deliveries
--   deadidx[:<member>]  hash  message id -> entry id in dead
--   meta (direct)       hash  tokenHash, registeredAt, caps (capabilities, JSON list): exists while the agent is
--                         registered (publish's gate)
-- Outside the mailbox slots, for routing: {cap:<name>}:agents set of the agents offering it, {cap:<name>}:routed
-- hash agent id -> last routed-to ms.
--   members (broadcast) hash  agent id -> "<entry id per priority>" it joined after
-- Groups (names come in ARGV): the recipient's ('inbox' direct, the member's id broadcast) and the archive group
-- on every stream and ack log.
-- Pending invariant, per recipient and priority p:
--   pending = added:<p> - r:<p> + (entries its group holds unacknowledged) - early:<p>
-- Every script that appends, reads, resolves or trims keeps those counters in step.
-- ===========================================================================================================
-- Stream entry ids are "<ms>-<seq>"; these compare and step them without floating point surprises.

local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

-- true if id a sorts strictly before id b
local function id_less(a, b)
  local ams, aseq = parse_id(a)
  local bms, bseq = parse_id(b)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end

local function next_id(id)
  local ms, seq = parse_id(id)
  return string.format('%.0f', ms) .. '-' .. string.format('%.0f', seq + 1)
end

-- field value of a stream entry ({id, {k1, v1, k2, v2, ...}})
local function field(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- true if the entry carries an expiry (ex, ms) that is not after `now` (ms)
local function is_expired(entry, now)
  local ex = field(entry, 'ex')
  return ex ~= nil and ex ~= '' and tonumber(ex) <= tonumber(now)
end

local function split_words(text)
  local words = {}
  for word in string.gmatch(text, '%S+') do words[#words + 1] = word end
  return words
end

-- A recipient's resolution of a message id, or nil while unresolved (see acked in the schema). `acked` is the
-- broadcast member's acked hash, or in a direct slot the ids index itself (`folded`): then it is the value's third word.
local function resolution_of(acked, folded, message_id)
  local value = redis.call('HGET', acked, message_id)
  if not value or not folded then return value or nil end
  return string.match(value, '^%S+ %S+ (%S+)$')
end

-- Records a resolution (ack ms or a sentinel). In a direct slot only an indexed id has a place for one.
local function resolve(acked, folded, message_id, state)
  if not folded then
    redis.call('HSET', acked, message_id, state)
    return
  end
  local location = string.match(redis.call('HGET', acked, message_id) or '', '^%S+ %S+')
  if location then redis.call('HSET', acked, message_id, location .. ' ' .. state) end
end

-- Moves one recipient's entry to its dead letters: a copy with the priority index, the reason, its detail ('' none),
-- when, and how many deliveries it had. It stops being pending: marked 'd' in the acked hash, released from the
-- group (XACK) if the group holds it, or counted as resolved early if the group has not read it yet.
-- keys: {stream, acked, folded, cursor, dead, counters, deadidx}; how: {group, p, reason, detail, now, deliveries, read}
local function bury_entry(keys, entry, how)
  local fields = entry[2]
  local copy = {}
  for i = 1, #fields do copy[i] = fields[i] end
  for _, extra in ipairs({'pr', tostring(how.p), 'reason', how.reason, 'deadAt', how.now,
      'dc', tostring(how.deliveries)}) do
    copy[#copy + 1] = extra
  end
  if how.detail ~= '' then
    copy[#copy + 1] = 'detail'
    copy[#copy + 1] = how.detail
  end
  local message_id = field(entry, 'm')
  local dead_id = redis.call('XADD', keys.dead, '*', unpack(copy))
  redis.call('HSET', keys.deadidx, message_id, dead_id)
  if how.read then
    redis.call('XACK', keys.stream, how.group, entry[1])
  else
    redis.call('HINCRBY', keys.cursor, 'early', 1)
    redis.call('HINCRBY', keys.cursor, 'early:' .. how.p, 1)
  end
  resolve(keys.acked, keys.folded, message_id, 'd')
  redis.call('HINCRBY', keys.counters, 'dead', 1)
end
