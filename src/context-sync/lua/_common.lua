-- Shared helpers, prepended to every ContextSync script by mailbox.scripts.ts.
-- Stream entry ids are "<ms>-<seq>"; these compare and step them without floating point surprises.

local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

-- true if id a sorts strictly before id b
local function id_less(a, b)
  local ams, aseq = parse_id(a)
  local bms, bseq = parse_id(b)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end

local function next_id(id)
  local ms, seq = parse_id(id)
  return string.format('%.0f', ms) .. '-' .. string.format('%.0f', seq + 1)
end

-- field value of a stream entry ({id, {k1, v1, k2, v2, ...}})
local function field(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local function split_words(text)
  local words = {}
  for word in string.gmatch(text, '%S+') do words[#words + 1] = word end
  return words
end
