-- Makes an agent a member of the broadcast streams: it receives broadcasts published from now on.
-- KEYS[1..4] the broadcast streams   KEYS[5] the members hash   KEYS[6] the member's cursor hash
-- KEYS[7] the broadcast stats hash (added:<p>)
-- ARGV[1] agent id (also its consumer group name on the broadcast streams)   ARGV[2] the archive group
-- Reply: 1 if it joined now, 0 if it was a member already
if redis.call('HEXISTS', KEYS[5], ARGV[1]) == 1 then return 0 end
local joined = {}
for p = 0, 3 do
  local stream = KEYS[p + 1]
  local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', stream, ARGV[2], '0', 'MKSTREAM')
  if not ok and not string.find(tostring(err), 'BUSYGROUP', 1, true) then return redis.error_reply(tostring(err)) end
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local last = '0-0'
  if #newest > 0 then last = newest[1][1] end
  local added = redis.call('HGET', KEYS[7], 'added:' .. p) or 0
  pcall(redis.call, 'XGROUP', 'DESTROY', stream, ARGV[1])
  redis.call('XGROUP', 'CREATE', stream, ARGV[1], last)
  redis.call('HSET', KEYS[6], 'c:' .. p, last, 'r:' .. p, added, 'early:' .. p, 0)
  joined[#joined + 1] = last
end
redis.call('HSET', KEYS[6], 'early', 0)
redis.call('HSET', KEYS[5], ARGV[1], table.concat(joined, ' '))
return 1
