-- Creates (or refreshes) an agent's direct mailbox. Idempotent: an existing mailbox keeps its messages.
-- KEYS[1..4] the agent's streams   KEYS[5] the agent's meta hash   KEYS[6] the agent's cursor hash
-- ARGV[1] token hash   ARGV[2] now ms   ARGV[3] the agent's consumer group name   ARGV[4] the archive group
-- ARGV[5] the agent's capabilities (JSON list), mirrored for routing
-- Reply: 1 if the agent was new, 0 if it existed
local created = redis.call('EXISTS', KEYS[5]) == 0
for p = 0, 3 do
  local stream = KEYS[p + 1]
  -- The archive group reads everything from the beginning; the agent's group too (its mailbox is new or its own).
  for _, group in ipairs({ARGV[3], ARGV[4]}) do
    local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
    if not ok and not string.find(tostring(err), 'BUSYGROUP', 1, true) then return redis.error_reply(tostring(err)) end
  end
  redis.call('HSETNX', KEYS[6], 'c:' .. p, '0-0')
  redis.call('HSETNX', KEYS[6], 'r:' .. p, 0)
end
redis.call('HSETNX', KEYS[6], 'early', 0)
redis.call('HSET', KEYS[5], 'tokenHash', ARGV[1])
redis.call('HSETNX', KEYS[5], 'registeredAt', ARGV[2])
redis.call('HSET', KEYS[5], 'caps', ARGV[5])
if created then return 1 end
return 0
