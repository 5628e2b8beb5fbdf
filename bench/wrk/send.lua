-- wrk script: SendMessage (or SendMessageBatch of N) with a fixed body, SQS JSON protocol.
-- usage: wrk -t1 -c16 -d10s -s bench/wrk/send.lua http://127.0.0.1:9324/ -- QUEUE_URL [BODY_BYTES] [BATCH]
-- Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses"); bench/wrk/run.sh reports them.
local function body_for(qurl, size, batch)
  local msg = string.rep("x", size)
  if batch <= 1 then
    return string.format('{"QueueUrl":"%s","MessageBody":"%s"}', qurl, msg), "AmazonSQS.SendMessage"
  end
  local entries = {}
  for i = 0, batch - 1 do
    entries[#entries + 1] = string.format('{"Id":"m%d","MessageBody":"%s"}', i, msg)
  end
  return string.format('{"QueueUrl":"%s","Entries":[%s]}', qurl, table.concat(entries, ",")), "AmazonSQS.SendMessageBatch"
end

local req
function init(args)
  local qurl = args[1] or error("queue URL argument required (after --)")
  local size = tonumber(args[2] or "100")
  local batch = tonumber(args[3] or "1")
  local body, target = body_for(qurl, size, batch)
  req = wrk.format("POST", "/", {
    ["X-Amz-Target"] = target,
    ["Content-Type"] = "application/x-amz-json-1.0",
  }, body)
end

function request()
  return req
end
