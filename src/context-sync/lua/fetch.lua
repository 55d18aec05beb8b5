-- Reads one recipient's pending messages from one mailbox slot, priority by priority.
-- KEYS[1..4] the streams, critical .. low     KEYS[5] the recipient's acked hash (message id -> ms | 's' | 'd');
--   direct: the slot's ids index, whose values carry the resolution as a third word (see _common.lua)
-- KEYS[6] the recipient's cursor hash (c:<p> last entry handed to its group, r:<p> entries read,
--   early and early:<p> entries acknowledged before they were read)
-- KEYS[7] the recipient's dead-letter stream  KEYS[8] the recipient's counters hash
-- KEYS[9] the recipient's dead-letter index (message id -> entry id in KEYS[7])
-- KEYS[10] the recipient's extended leases (zset "<p> <entry id>" -> ms until which its consumer keeps it)
-- KEYS[11] direct: the recipient's meta (exists while it is registered) | broadcast: the members hash
-- ARGV[1] mode: 'peek' (change nothing) | 'available' (what a lease could take; change nothing) | 'lease'
-- ARGV[2] consumer group  ARGV[3] consumer name (lease)  ARGV[4] visibility timeout ms  ARGV[5] max deliveries
-- ARGV[6] now ms  ARGV[7..10] how many to take of each priority  ARGV[11] the archive group
-- ARGV[12] where the recipient's group restarts on a stream that lost it: '0' (direct) | '$' (broadcast)
-- ARGV[13] how many to take in all, priority by priority (the per-priority limits apply within it)
-- ARGV[14] 'direct' | 'broadcast'
-- An entry past its expiry (ex) is settled for the recipient in every mode: marked 'x' in the acked hash and out of
-- the pending count (acknowledged in the group if held, counted in early if unread).
-- Reply: {messages, buried, expired, known} where messages lists {priority index, entry id, delivery count, fields} in
-- delivery order ('available' answers no fields: it only tells which entries a lease would take); buried counts the
-- entries this call moved to the dead letters, expired those it found expired (for the metrics); known is 0 when the
-- recipient is not registered (direct) or not a member (broadcast): then the call read and changed nothing.
local mode, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local visibility, max_deliveries, now = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local out = {}
local buried, expired = 0, 0
local folded = ARGV[14] == 'direct'

-- Only a registered recipient reads (nothing is created for an unknown one). A broadcast member's group is its id.
if ARGV[14] == 'direct' then
  if redis.call('EXISTS', KEYS[11]) == 0 then return {out, 0, 0, 0} end
elseif redis.call('HEXISTS', KEYS[11], group) == 0 then
  return {out, 0, 0, 0}
end

-- In a direct slot an entry is also settled once its message has moved on: a requeued dead letter lives at a new
-- entry, and its first one (still after the cursor when it was never read) must not be offered a second time.
local function resolved(entry)
  if not folded then return resolution_of(KEYS[5], false, field(entry, 'm')) ~= nil end
  local value = redis.call('HGET', KEYS[5], field(entry, 'm'))
  if not value then return false end
  local location, state = string.match(value, '^%S+ (%S+)(.*)$')
  return location ~= entry[1] or state ~= ''
end

-- A nack with a delay longer than the visibility timeout holds the entry back until then (cursor 'hold:<id>').
local function held_back(entry)
  local due = redis.call('HGET', KEYS[6], 'hold:' .. field(entry, 'm'))
  return due and tonumber(due) > tonumber(now)
end

local no_fields = {}
local function emit(p, entry, deliveries)
  out[#out + 1] = {p, entry[1], deliveries, mode == 'available' and no_fields or entry[2]}
end

-- Moves an entry that exhausted its deliveries to the dead letters; it stops being pending.
local function bury(stream, p, entry, deliveries)
  bury_entry({stream = stream, acked = KEYS[5], folded = folded, cursor = KEYS[6], dead = KEYS[7], counters = KEYS[8],
    deadidx = KEYS[9]}, entry, {group = group, p = p, reason = 'max_deliveries', detail = '', now = now,
    deliveries = deliveries, read = true})
  buried = buried + 1
end

-- A message past its TTL is pending for nobody: resolve it for this recipient, keeping the pending invariant.
local function expire(stream, p, entry, held)
  resolve(KEYS[5], folded, field(entry, 'm'), 'x')
  if held then
    redis.call('XACK', stream, group, entry[1])
  else
    redis.call('HINCRBY', KEYS[6], 'early', 1)
    redis.call('HINCRBY', KEYS[6], 'early:' .. p, 1)
  end
  expired = expired + 1
end

-- true while the entry's consumer extended its lease past now (its idle time alone would let it go)
local function extended(p, id)
  local until_ms = redis.call('ZSCORE', KEYS[10], p .. ' ' .. id)
  return until_ms ~= false and until_ms ~= nil and tonumber(until_ms) > tonumber(now)
end

-- Extensions that ran out are over: their entries go back to the idle-time rule.
if mode == 'lease' then redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', now) end
-- Held entries under an extended lease are skipped, so read that many more to still find `wanted` others.
local extended_count = math.min(redis.call('ZCARD', KEYS[10]), 1000)

-- A stream deleted and re-created behind Brain's back has lost its groups (NOGROUP): put them back instead of
-- failing every read. The recipient's own group starts at the beginning of a direct stream (everything in it is
-- addressed to it) and at the end of a broadcast stream (it must not receive older broadcasts).
local function ensure_groups(stream, p)
  local ok = pcall(redis.call, 'XINFO', 'CONSUMERS', stream, group)
  if ok then return end
  local start = ARGV[12]
  redis.call('XGROUP', 'CREATE', stream, group, start)
  pcall(redis.call, 'XGROUP', 'CREATE', stream, ARGV[11], '0')
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local cursor = '0-0'
  if start == '$' and #newest > 0 then cursor = newest[1][1] end
  redis.call('HSET', KEYS[6], 'c:' .. p, cursor)
end

for p = 0, 3 do
  local stream = KEYS[p + 1]
  local wanted = math.min(tonumber(ARGV[7 + p]), tonumber(ARGV[13]) - #out)
  local taken = 0
  if wanted > 0 and redis.call('EXISTS', stream) == 1 then
    ensure_groups(stream, p)
    -- 1. Delivered but unacknowledged: peek shows all of them, a lease only those whose lease ran out.
    local held
    if mode == 'peek' then
      held = redis.call('XPENDING', stream, group, '-', '+', wanted)
    else
      held = redis.call('XPENDING', stream, group, 'IDLE', visibility, '-', '+', wanted + extended_count)
    end
    for _, pending in ipairs(held) do
      if taken >= wanted then break end
      local id, deliveries = pending[1], tonumber(pending[4])
      local found = redis.call('XRANGE', stream, id, id)
      if #found == 0 or resolved(found[1]) then
        -- trimmed away, or resolved by an ack: nothing to deliver (a lease tidies the group up)
        if mode == 'lease' then redis.call('XACK', stream, group, id) end
      elseif is_expired(found[1], now) then
        expire(stream, p, found[1], true)
      elseif mode ~= 'peek' and extended(p, id) then
        -- its consumer still works on it (POST /v1/messages/{id}/lease): not handed to anyone else
      elseif mode ~= 'peek' and held_back(found[1]) then
        -- nacked with a delay: not leased before it is due
      elseif mode == 'lease' and deliveries >= max_deliveries then
        bury(stream, p, found[1], deliveries)
      elseif mode == 'lease' then
        redis.call('XCLAIM', stream, group, consumer, 0, id)
        redis.call('HDEL', KEYS[6], 'hold:' .. field(found[1], 'm'))
        emit(p, found[1], deliveries + 1)
        taken = taken + 1
      else
        emit(p, found[1], deliveries)
        taken = taken + 1
      end
    end

    -- 2. Never delivered: the entries after the cursor, skipping those already resolved.
    local cursor = redis.call('HGET', KEYS[6], 'c:' .. p) or '0-0'
    local rounds = 0
    while taken < wanted and rounds < 20 do
      rounds = rounds + 1
      local need = wanted - taken
      local batch
      if mode == 'lease' then
        local reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', need, 'STREAMS', stream, '>')
        batch = reply and reply[1] and reply[1][2] or {}
        if #batch > 0 then
          cursor = batch[#batch][1]
          redis.call('HSET', KEYS[6], 'c:' .. p, cursor)
          redis.call('HINCRBY', KEYS[6], 'r:' .. p, #batch)
        end
      else
        batch = redis.call('XRANGE', stream, '(' .. cursor, '+', 'COUNT', need)
        if #batch > 0 then cursor = batch[#batch][1] end
      end
      if #batch == 0 then break end
      for _, entry in ipairs(batch) do
        if resolved(entry) then
          if mode == 'lease' then
            redis.call('XACK', stream, group, entry[1])
            redis.call('HINCRBY', KEYS[6], 'early', -1)
            redis.call('HINCRBY', KEYS[6], 'early:' .. p, -1)
          end
        elseif is_expired(entry, now) then
          expire(stream, p, entry, mode == 'lease')
        else
          emit(p, entry, mode == 'lease' and 1 or 0)
          taken = taken + 1
        end
      end
    end
  end
end
return {out, buried, expired, 1}
