-- Makes a dead letter pending again for its agent, as a new entry (delivery count 0) in the agent's own streams.
-- Found by message id through the dead-letter index: never a scan of the dead letters.
-- KEYS[1..4] the agent's streams   KEYS[5] the agent's ids index
-- KEYS[6] the agent's acked hash: KEYS[5] again (a direct slot's resolutions are the ids value's third word)
-- KEYS[7] the agent's dead-letter stream   KEYS[8] the agent's counters hash (also the slot's stats: added:<p>)
-- KEYS[9] the agent's dead-letter index (message id -> entry id in KEYS[7])
-- ARGV[1] message id   ARGV[2] 'own' (the dead letter is in KEYS[7]) | 'copy' (it came from the broadcast slot)
-- ARGV[3..7] for 'copy': sender, type, payload, timestamp ms, priority index
-- ARGV[8..9] for 'copy': in reply to, routed by ('' = none)
-- Reply: {1, priority index, entry id, fields} the pending entry | {0} no such dead letter
--   | {-1} the agent has acknowledged the message (a requeue would deliver it again)
local message_id = ARGV[1]
local folded = KEYS[6] == KEYS[5]
local fields

local function acknowledged()
  local state = resolution_of(KEYS[6], folded, message_id)
  return state ~= nil and string.match(state, '^%d+$') ~= nil
end

if ARGV[2] == 'own' then
  local dead_id = redis.call('HGET', KEYS[9], message_id)
  local dead_entry = nil
  if dead_id then
    local found = redis.call('XRANGE', KEYS[7], dead_id, dead_id)
    if #found > 0 then dead_entry = found[1] else redis.call('HDEL', KEYS[9], message_id) end
  end
  if not dead_entry then
    if acknowledged() then return {-1} end
    return {0}
  end
  fields = {f = field(dead_entry, 'f'), ty = field(dead_entry, 'ty'), p = field(dead_entry, 'p'),
    ts = field(dead_entry, 'ts'), to = field(dead_entry, 'to') or '', pr = tonumber(field(dead_entry, 'pr')),
    rt = field(dead_entry, 'rt') or '', rb = field(dead_entry, 'rb') or ''}
  redis.call('XDEL', KEYS[7], dead_entry[1])
  redis.call('HDEL', KEYS[9], message_id)
  redis.call('HINCRBY', KEYS[8], 'dead', -1)
else
  -- Copied from a broadcast dead letter; a second attempt finds it already pending and changes nothing.
  if acknowledged() then return {-1} end
  local current = redis.call('HGET', KEYS[5], message_id)
  if current and resolution_of(KEYS[6], folded, message_id) == nil then
    local parts = split_words(current)
    local found = redis.call('XRANGE', KEYS[tonumber(parts[1]) + 1], parts[2], parts[2])
    if #found > 0 then return {1, tonumber(parts[1]), found[1][1], found[1][2]} end
  end
  fields = {f = ARGV[3], ty = ARGV[4], p = ARGV[5], ts = ARGV[6], to = 'broadcast', pr = tonumber(ARGV[7]),
    rt = ARGV[8] or '', rb = ARGV[9] or ''}
end

local stream = KEYS[fields.pr + 1]
local entry = {'m', message_id, 'f', fields.f, 'ty', fields.ty, 'p', fields.p, 'ts', fields.ts, 'to', fields.to}
for _, name in ipairs({'rt', 'rb'}) do
  if fields[name] ~= '' then
    entry[#entry + 1] = name
    entry[#entry + 1] = fields[name]
  end
end
local entry_id = redis.call('XADD', stream, '*', unpack(entry))
-- A new location, unresolved (folded: the value without a resolution word is that already).
redis.call('HSET', KEYS[5], message_id, fields.pr .. ' ' .. entry_id)
if not folded then redis.call('HDEL', KEYS[6], message_id) end
redis.call('HINCRBY', KEYS[8], 'added:' .. fields.pr, 1)
return {1, fields.pr, entry_id, redis.call('XRANGE', stream, entry_id, entry_id)[1][2]}
