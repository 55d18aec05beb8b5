-- Trims the oldest entries of one stream, never one the archive group has not stored yet:
-- - by length: entries beyond the limit, but only those every recipient has resolved (acknowledged or buried),
--   so a recipient that falls behind never loses a pending message before the retention runs out;
-- - by age: every archived entry older than the given id (the retention).
-- Removes the trimmed entries' ids from the slot's indexes and from every recipient's pending count. Dead letters
-- are copies: they stay.
-- KEYS[1] the stream   KEYS[2] the slot's ids index
-- ARGV[1] max length (0 = no length limit)   ARGV[2] entries older than this id go ('0-0' = no age limit)
-- ARGV[3] at most this many entries per call   ARGV[4] the stream's priority index
-- ARGV[5] the archive group
-- ARGV[6..] per recipient of the stream, three values: its acked hash, its cursor hash, its consumer group.
--   A direct slot's recipient names the ids index (KEYS[2]) as its acked hash: its resolutions are the third word
--   of the ids values (see _common.lua), and go with them.
--   The hashes are keys of the same slot (same hash tag), passed as ARGV because their number varies and ioredis
--   needs a fixed key count to route calls on a Cluster.
-- Reply: number of entries removed
local stream = KEYS[1]
if redis.call('EXISTS', stream) == 0 then return 0 end
local limit, p = tonumber(ARGV[3]), ARGV[4]
local recipients = {}
local archive_group = ARGV[5]
for k = 6, #ARGV - 2, 3 do
  recipients[#recipients + 1] = {acked = ARGV[k], cursor = ARGV[k + 1], group = ARGV[k + 2]}
end

-- The archive boundary: the oldest entry the archive has not acknowledged.
local boundary = nil
for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local name, last, pending = nil, nil, 0
  for i = 1, #group, 2 do
    if group[i] == 'name' then name = group[i + 1] end
    if group[i] == 'last-delivered-id' then last = group[i + 1] end
    if group[i] == 'pending' then pending = tonumber(group[i + 1]) end
  end
  if name == archive_group then
    if pending > 0 then
      boundary = redis.call('XPENDING', stream, archive_group)[2]
    else
      boundary = next_id(last)
    end
  end
end
if not boundary then return 0 end

-- What the limits remove: entries strictly before `cut`.
local cut = '0-0'
local max_length = tonumber(ARGV[1])
if max_length > 0 then
  local excess = redis.call('XLEN', stream) - max_length
  if excess > 0 then
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', math.min(excess, limit))
    cut = next_id(oldest[#oldest][1])
    for _, recipient in ipairs(recipients) do
      -- Not beyond what the recipient holds unacknowledged, nor beyond what it has not been handed yet.
      local ok, held = pcall(redis.call, 'XPENDING', stream, recipient.group)
      if ok and tonumber(held[1]) > 0 and id_less(held[2], cut) then cut = held[2] end
      local unread = next_id(redis.call('HGET', recipient.cursor, 'c:' .. p) or '0-0')
      if id_less(unread, cut) then cut = unread end
    end
  end
end
if id_less(cut, ARGV[2]) then cut = ARGV[2] end
if id_less(boundary, cut) then cut = boundary end
if cut == '0-0' then return 0 end

local doomed = redis.call('XRANGE', stream, '-', '(' .. cut, 'COUNT', limit)
if #doomed == 0 then return 0 end
local doomed_ids, current, folded_resolved = {}, {}, {}
for i, entry in ipairs(doomed) do
  doomed_ids[i] = entry[1]
  local message_id = field(entry, 'm')
  local location = redis.call('HGET', KEYS[2], message_id)
  -- A requeued message's id points at its newer entry: that one, and the acked state of the id, stay.
  local words = location and split_words(location) or {}
  current[i] = not location or words[2] == entry[1]
  folded_resolved[i] = words[3] ~= nil
  if location and current[i] then redis.call('HDEL', KEYS[2], message_id) end
end
-- Trimmed entries are no longer deliverable: per recipient, the pending count (added - read + held - early, see
-- README.md "The pending invariant") must drop them. Unread ones count as read (and, if acknowledged before they were
-- read, leave `early`); leased ones leave the group's pending list.
for _, recipient in ipairs(recipients) do
  local cursor = redis.call('HGET', recipient.cursor, 'c:' .. p) or '0-0'
  local unread, early = 0, 0
  for i, entry in ipairs(doomed) do
    if current[i] then
      local was_resolved = folded_resolved[i]
      if recipient.acked ~= KEYS[2] then was_resolved = redis.call('HDEL', recipient.acked, field(entry, 'm')) == 1 end
      if id_less(cursor, entry[1]) then
        unread = unread + 1
        if was_resolved then early = early + 1 end
      end
    end
  end
  if unread > 0 then redis.call('HINCRBY', recipient.cursor, 'r:' .. p, unread) end
  if early > 0 then redis.call('HINCRBY', recipient.cursor, 'early', -early) end
  pcall(redis.call, 'XACK', stream, recipient.group, unpack(doomed_ids))
end
redis.call('XTRIM', stream, 'MINID', next_id(doomed[#doomed][1]))
return #doomed
