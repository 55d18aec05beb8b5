-- Authentication and the agent's request count in one round trip: the stored token hash is compared first, and
-- only a matching token is counted (a wrong token never uses up an agent's limit). Lua compares the two sha256
-- digests as interned strings, so the time taken says nothing about how much of them matched.
-- KEYS[1] the agent's registration (RedisKeys.agentMeta)   KEYS[2] its counter (RedisKeys.rateLimit)
-- ARGV[1] sha256 of the presented token                     ARGV[2] the window length in ms, 0 = do not count
-- Reply: {} when the token is not the agent's | {1} when it is and nothing was counted | {1, hits, ms left}
local stored = redis.call('HGET', KEYS[1], 'tokenHash')
if not stored or stored ~= ARGV[1] then return {} end
if ARGV[2] == '0' then return {1} end
local hits = redis.call('INCR', KEYS[2])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {1, hits, ttl}
