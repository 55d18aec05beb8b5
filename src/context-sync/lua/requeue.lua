-- Makes a dead letter pending again for its agent, as a new entry (delivery count 0) in the agent's own streams.
-- KEYS[1..4] the agent's streams   KEYS[5] the agent's ids index   KEYS[6] the agent's acked hash
-- KEYS[7] the agent's dead-letter stream   KEYS[8] the agent's counters hash (also the slot's stats: added:<p>)
-- ARGV[1] message id   ARGV[2] 'own' (the dead letter is in KEYS[7]) | 'copy' (it came from the broadcast slot)
-- ARGV[3..7] for 'copy': sender, type, payload, timestamp ms, priority index
-- Reply: {priority index, entry id, fields} of the pending entry | {} if there is no such dead letter
local message_id = ARGV[1]
local fields

if ARGV[2] == 'own' then
  local scanned, last = 0, '+'
  local dead_entry = nil
  while scanned < 100000 and not dead_entry do
    local batch = redis.call('XREVRANGE', KEYS[7], last, '-', 'COUNT', 500)
    if #batch == 0 then break end
    for _, entry in ipairs(batch) do
      if field(entry, 'm') == message_id then dead_entry = entry break end
    end
    scanned = scanned + #batch
    last = '(' .. batch[#batch][1]
  end
  if not dead_entry then return {} end
  fields = {f = field(dead_entry, 'f'), ty = field(dead_entry, 'ty'), p = field(dead_entry, 'p'),
    ts = field(dead_entry, 'ts'), to = field(dead_entry, 'to') or '', pr = tonumber(field(dead_entry, 'pr'))}
  redis.call('XDEL', KEYS[7], dead_entry[1])
  redis.call('HINCRBY', KEYS[8], 'dead', -1)
else
  -- Copied from a broadcast dead letter; a second attempt finds it already pending and changes nothing.
  local current = redis.call('HGET', KEYS[5], message_id)
  if current and redis.call('HGET', KEYS[6], message_id) == false then
    local parts = split_words(current)
    local found = redis.call('XRANGE', KEYS[tonumber(parts[1]) + 1], parts[2], parts[2])
    if #found > 0 then return {tonumber(parts[1]), found[1][1], found[1][2]} end
  end
  fields = {f = ARGV[3], ty = ARGV[4], p = ARGV[5], ts = ARGV[6], to = 'broadcast', pr = tonumber(ARGV[7])}
end

local stream = KEYS[fields.pr + 1]
local entry_id = redis.call('XADD', stream, '*', 'm', message_id, 'f', fields.f, 'ty', fields.ty, 'p', fields.p,
  'ts', fields.ts, 'to', fields.to)
redis.call('HSET', KEYS[5], message_id, fields.pr .. ' ' .. entry_id)
redis.call('HDEL', KEYS[6], message_id)
redis.call('HINCRBY', KEYS[8], 'added:' .. fields.pr, 1)
return {fields.pr, entry_id, redis.call('XRANGE', stream, entry_id, entry_id)[1][2]}
