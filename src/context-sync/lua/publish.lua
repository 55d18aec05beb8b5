-- Publishes one message to one mailbox slot (an agent's direct streams, or the broadcast streams), atomically:
-- de-duplicates on the message id, checks the recipient is registered, appends, indexes the id.
-- KEYS[1] the stream of the message's priority
-- KEYS[2] ids index of the slot (message id -> "<priority index> <entry id>")
-- KEYS[3] direct: the recipient's meta (must exist) | broadcast: the members hash
-- KEYS[4] the slot's stats hash (added:<p> counts entries ever appended per priority)
-- KEYS[5] broadcast only: the sender's acked hash      KEYS[6] broadcast only: the sender's cursor hash
-- ARGV[1] message id  ARGV[2] sender  ARGV[3] type ('' = none)  ARGV[4] payload JSON  ARGV[5] timestamp ms
-- ARGV[6] priority index (0 = critical .. 3 = low)  ARGV[7] 'direct' | 'broadcast'
-- ARGV[8] the slot's wake channel (sharded pub/sub, same slot): long polls of the recipients listen to it
-- ARGV[9..] optional entry fields as name, value pairs (rt, rb, ex, da); a pair with an empty value is not stored
-- Reply: {1, location} created | {0, location} already published | {-1} recipient not registered
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {0, existing} end

if ARGV[7] == 'direct' and redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end

local last = {}
if ARGV[7] == 'broadcast' then last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1) end
local entry = {'m', ARGV[1], 'f', ARGV[2], 'ty', ARGV[3], 'p', ARGV[4], 'ts', ARGV[5], 'to', ''}
for i = 9, #ARGV - 1, 2 do
  if ARGV[i + 1] ~= '' then
    entry[#entry + 1] = ARGV[i]
    entry[#entry + 1] = ARGV[i + 1]
  end
end
local entry_id = redis.call('XADD', KEYS[1], '*', unpack(entry))
local location = ARGV[6] .. ' ' .. entry_id
redis.call('HSET', KEYS[2], ARGV[1], location)
redis.call('HINCRBY', KEYS[4], 'added:' .. ARGV[6], 1)
redis.call('SPUBLISH', ARGV[8], '')

-- A sender never receives its own broadcast. If the sender had read everything before, move its cursor past the
-- new entry (cheap to skip later); otherwise mark the entry resolved for it.
if ARGV[7] == 'broadcast' and redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then
  local p = ARGV[6]
  local cursor = redis.call('HGET', KEYS[6], 'c:' .. p)
  if cursor and (#last == 0 or not id_less(cursor, last[1][1])) then
    redis.call('XGROUP', 'SETID', KEYS[1], ARGV[2], entry_id)
    redis.call('HSET', KEYS[6], 'c:' .. p, entry_id)
    redis.call('HINCRBY', KEYS[6], 'r:' .. p, 1)
  else
    redis.call('HSET', KEYS[5], ARGV[1], 's')
    redis.call('HINCRBY', KEYS[6], 'early', 1)
    redis.call('HINCRBY', KEYS[6], 'early:' .. p, 1)
  end
end
return {1, location}
