-- Moves a direct mailbox's resolutions out of the acked hash that Brain kept per agent before they were folded into
-- the ids index, into the third word of the ids values (see _common.lua), then deletes that hash. Idempotent.
-- A resolution recorded since (the ids value has a third word) is newer and stays; one whose id is no longer indexed
-- goes (trim removed an id's location and its resolution together).
-- KEYS[1] the slot's ids index   KEYS[2] the agent's former acked hash
-- Reply: how many resolutions moved
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local flat = redis.call('HGETALL', KEYS[2])
local moved = 0
for i = 1, #flat, 2 do
  local location = string.match(redis.call('HGET', KEYS[1], flat[i]) or '', '^%S+ %S+$')
  if location then
    redis.call('HSET', KEYS[1], flat[i], location .. ' ' .. flat[i + 1])
    moved = moved + 1
  end
end
redis.call('DEL', KEYS[2])
return moved
