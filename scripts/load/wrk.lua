-- wrk script for scripts/load/run.sh: rotates over many URLs, each with its own bearer token, and
-- prints one machine-readable RESULT line at the end.
--
--   wrk -t2 -c64 -d15s -s wrk.lua http://127.0.0.1:PORT -- MODE [FILE] [TOKEN]
--
-- MODE:
--   health          GET /health
--   activate FILE   POST /children/{child}/tasks/{task}/activate over the lines of FILE
--                   (`TOKEN USER_ID CHILD_ID TASK_ID`, the seed's targets.txt)
--   child FILE      GET /children/{child} over the same lines (authenticated read, no write)
--   activate-keyed FILE
--                   the same POSTs, each with a fresh `Idempotency-Key` (never repeated, so every
--                   request is performed: what a key costs, not what a replay saves)
--   activate-count FILE
--                   the same, and counts the 200 answers per parent (read from the answer's
--                   "user_id"), printed as `OK200 USER_ID N` lines
--   admin FILE TOKEN
--                   GET each path of FILE (the seed's admin_queries.txt) with the admin token
--   summary FILE [QUERY]
--                   GET /children/{child}/summary[?QUERY] over the lines of FILE, with each
--                   child's parent token

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local requests = {}
local next_request = 1
ok200 = {}

local function lines_of(path)
  local found = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(found, line)
    end
  end
  return found
end

local function fields(line)
  local found = {}
  for field in line:gmatch("%S+") do
    table.insert(found, field)
  end
  return found
end

function init(args)
  local mode = args[1] or "health"
  if mode == "health" then
    table.insert(requests, wrk.format("GET", "/health"))
  elseif mode == "activate" or mode == "activate-count" then
    for _, line in ipairs(lines_of(args[2])) do
      local f = fields(line)
      local path = "/children/" .. f[3] .. "/tasks/" .. f[4] .. "/activate"
      table.insert(requests, wrk.format("POST", path, { ["Authorization"] = "Bearer " .. f[1] }))
    end
  elseif mode == "activate-keyed" then
    for _, line in ipairs(lines_of(args[2])) do
      local f = fields(line)
      table.insert(requests, {
        path = "/children/" .. f[3] .. "/tasks/" .. f[4] .. "/activate",
        token = "Bearer " .. f[1],
      })
    end
    keyed = true
  elseif mode == "child" then
    for _, line in ipairs(lines_of(args[2])) do
      local f = fields(line)
      table.insert(requests, wrk.format("GET", "/children/" .. f[3], { ["Authorization"] = "Bearer " .. f[1] }))
    end
  elseif mode == "summary" then
    local query = args[3] and ("?" .. args[3]) or ""
    for _, line in ipairs(lines_of(args[2])) do
      local f = fields(line)
      local path = "/children/" .. f[3] .. "/summary" .. query
      table.insert(requests, wrk.format("GET", path, { ["Authorization"] = "Bearer " .. f[1] }))
    end
  elseif mode == "admin" then
    for _, line in ipairs(lines_of(args[2])) do
      table.insert(requests, wrk.format("GET", line, { ["Authorization"] = "Bearer " .. args[3] }))
    end
  else
    error("unknown mode " .. mode)
  end
  if #requests == 0 then
    error("no request to send")
  end
  -- Each thread starts at its own place in the list, so that threads do not march in step.
  next_request = ((thread_number or 1) - 1) * math.floor(#requests / 2) % #requests + 1
  if mode ~= "activate-count" then
    response = nil
  end
end

local sent = 0

function request()
  local chosen = requests[next_request]
  next_request = next_request % #requests + 1
  if keyed then
    sent = sent + 1
    local key = string.format("load-%d-%d", thread_number or 1, sent)
    return wrk.format("POST", chosen.path, { ["Authorization"] = chosen.token, ["Idempotency-Key"] = key })
  end
  return chosen
end

function response(status, headers, body)
  if status == 200 then
    local user = body:match('"user_id":"([0-9A-Z]+)"')
    if user then
      ok200[user] = (ok200[user] or 0) + 1
    end
  end
end

function done(summary, latency, requests_made)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.status, errors.connect, errors.read, errors.write, errors.timeout))
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("ok200")
    if counts then
      for user, n in pairs(counts) do
        totals[user] = (totals[user] or 0) + n
      end
    end
  end
  for user, n in pairs(totals) do
    io.write(string.format("OK200 %s %d\n", user, n))
  end
end
