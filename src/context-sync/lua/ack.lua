-- Acknowledges messages for one recipient in one mailbox slot, a batch at a time. Idempotent. Acknowledging a
-- dead-lettered message resolves it: it leaves the recipient's dead letters.
-- KEYS[1..4] the streams, critical .. low   KEYS[5] the slot's ids index
-- KEYS[6] the recipient's acked hash: message id -> ack ms | 's' its own broadcast | 'd' dead-lettered | 'x' expired
--   | 'r' a broadcast dead letter requeued into the recipient's direct mailbox (its state lives there now);
--   direct: KEYS[5] again (the resolution is the third word of the ids value, see _common.lua)
-- KEYS[7] the recipient's cursor hash        KEYS[8] the slot's ack log (stream, for the archiver)
-- KEYS[9] the recipient's counters hash      KEYS[10] broadcast: the members hash | direct: unused (the meta key)
-- KEYS[11] the recipient's dead-letter stream KEYS[12] its dead-letter index (message id -> entry id in KEYS[11])
-- ARGV[1] consumer group  ARGV[2] recipient agent id  ARGV[3] now ms  ARGV[4] 'direct' | 'broadcast'
-- ARGV[5] the archive group   ARGV[6..] message ids
-- Reply: per message id, {status, ms}: 1 acknowledged now | 0 acknowledged before (ms = then)
--   | -1 no such message here | -2 here, but the agent is not a recipient of it (ms = 0 for both)
local group, agent, now, archive_group = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
local folded = KEYS[6] == KEYS[5]
local joined = nil
if ARGV[4] == 'broadcast' then
  local membership = redis.call('HGET', KEYS[10], agent)
  if membership then joined = split_words(membership) end
end
local replies = {}
local early_priorities = {}
local acked_now, dead_resolved = 0, 0
-- Batched: the acked hash's new states (message id, ms or, folded, the ids value, ...) and, per priority, the
-- entries the group releases.
local resolutions, released = {}, {{}, {}, {}, {}}
local resolved_now = {}
-- Most recipients have no dead letters: then no id needs looking up in the index.
local has_dead = redis.call('EXISTS', KEYS[12]) == 1
local cursors = {}

local function cursor_of(p)
  if cursors[p] == nil then cursors[p] = redis.call('HGET', KEYS[7], 'c:' .. p) or '0-0' end
  return cursors[p]
end

-- Records the ack for the archiver and takes the message out of the dead letters if it is there.
-- `remember` is false when the stream entry is gone (retention): nothing is left to mark resolved.
local function record(message_id, remember, location)
  if acked_now == 0 and redis.call('EXISTS', KEYS[8]) == 0 then
    -- The ack log is created with the first ack it records (a refused ack leaves no key behind).
    redis.call('XGROUP', 'CREATE', KEYS[8], archive_group, '0', 'MKSTREAM')
  end
  if remember then
    resolutions[#resolutions + 1] = message_id
    resolutions[#resolutions + 1] = folded and (location .. ' ' .. now) or now
  end
  resolved_now[message_id] = true
  acked_now = acked_now + 1
  redis.call('XADD', KEYS[8], '*', 'm', message_id, 'a', agent, 'at', now)
  local dead_id = has_dead and redis.call('HGET', KEYS[12], message_id)
  if dead_id then
    redis.call('HDEL', KEYS[12], message_id)
    dead_resolved = dead_resolved + redis.call('XDEL', KEYS[11], dead_id)
  end
end

for k = 6, #ARGV do
  local message_id = ARGV[k]
  local reply = {-1, 0}
  local location = redis.call('HGET', KEYS[5], message_id)
  local found, p, entry_id, state = nil, nil, nil, nil
  if location then
    local words = split_words(location)
    p, entry_id = tonumber(words[1]), words[2]
    if folded then state = words[3] end
    local entries = redis.call('XRANGE', KEYS[p + 1], entry_id, entry_id)
    if #entries > 0 then found = entries[1] end
  end
  if found then
    local recipient = true
    if ARGV[4] == 'broadcast' then
      -- Recipients of a broadcast: members that joined before it, except its sender.
      recipient = joined ~= nil and id_less(joined[p + 1], entry_id) and field(found, 'f') ~= agent
    end
    if not recipient then
      reply = {-2, 0}
    elseif resolved_now[message_id] then
      -- named twice in this batch
      reply = {0, now}
    else
      local before = state
      if not folded then before = redis.call('HGET', KEYS[6], message_id) end
      -- dead-lettered ('d'), requeued elsewhere ('r') or expired ('x'): not acknowledged yet, it can be now
      if before and before ~= 'd' and before ~= 'r' and before ~= 'x' then
        reply = {0, before}
      else
        record(message_id, true, p .. ' ' .. entry_id)
        if not before then
          if id_less(cursor_of(p), entry_id) then
            -- Not handed to the group yet (peek mode): remember it; the cursor moves over it below.
            redis.call('HINCRBY', KEYS[7], 'early', 1)
            redis.call('HINCRBY', KEYS[7], 'early:' .. p, 1)
            early_priorities[p] = true
          else
            local ids = released[p + 1]
            ids[#ids + 1] = entry_id
          end
        end
        reply = {1, now}
      end
    end
  elseif has_dead and redis.call('HEXISTS', KEYS[12], message_id) == 1 then
    -- Trimmed from the stream by retention, but still among this recipient's dead letters.
    record(message_id, false, nil)
    reply = {1, now}
  end
  replies[#replies + 1] = reply
end
if #resolutions > 0 then redis.call('HSET', KEYS[6], unpack(resolutions)) end
for p = 0, 3 do
  if #released[p + 1] > 0 then redis.call('XACK', KEYS[p + 1], group, unpack(released[p + 1])) end
end
if acked_now > 0 then redis.call('HINCRBY', KEYS[9], 'acked', acked_now) end
if dead_resolved > 0 then redis.call('HINCRBY', KEYS[9], 'dead', -dead_resolved) end

-- Move each touched cursor over every resolved entry directly after it, so the next peek starts at the first
-- unresolved one instead of skipping acknowledged entries again and again.
for p, _ in pairs(early_priorities) do
  local stream = KEYS[p + 1]
  local cursor = redis.call('HGET', KEYS[7], 'c:' .. p) or '0-0'
  local steps = 0
  while steps < 10000 do
    local following = redis.call('XRANGE', stream, '(' .. cursor, '+', 'COUNT', 1)
    if #following == 0 or not resolution_of(KEYS[6], folded, field(following[1], 'm')) then break end
    cursor = following[1][1]
    steps = steps + 1
  end
  if steps > 0 then
    redis.call('XGROUP', 'SETID', stream, group, cursor)
    redis.call('HSET', KEYS[7], 'c:' .. p, cursor)
    redis.call('HINCRBY', KEYS[7], 'r:' .. p, steps)
    redis.call('HINCRBY', KEYS[7], 'early', -steps)
    redis.call('HINCRBY', KEYS[7], 'early:' .. p, -steps)
  end
end
return replies
