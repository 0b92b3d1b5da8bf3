-- tests/bench/read-list.lua — wrk script for tests/bench/run-aggregates: GETs the lines of a URL
-- list ("TOKEN<TAB>PATH" per line), each thread its own share (thread i takes lines i, i+T, ...),
-- each line once. A thread whose share is used up stops, so no query string is asked twice in a
-- run: with the cache dropped before the run, every request is a cache miss (the caller checks
-- trechter_cache_hits_total on the metrics listener).
--
-- wrk -t2 -c16 -d30s --latency -s read-list.lua URL -- LIST_FILE THREADS

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local lines = {}
local next_line = 1
sent, answered, bad = 0, 0, 0

function init(args)
  local nthreads = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then lines[#lines + 1] = line end
    i = i + 1
  end
end

function request()
  if next_line > #lines then
    wrk.thread:stop()
    -- wrk needs a request; this one is never answered before the thread stops.
    return wrk.format("GET", "/healthz")
  end
  local line = lines[next_line]
  next_line = next_line + 1
  local tab = line:find("\t", 1, true)
  sent = sent + 1
  return wrk.format("GET", line:sub(tab + 1), {["Authorization"] = "Bearer " .. line:sub(1, tab - 1)})
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then bad = bad + 1 end
  if next_line > #lines and answered >= sent then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local s, a, b = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("sent") or 0); a = a + (t:get("answered") or 0); b = b + (t:get("bad") or 0)
  end
  io.stderr:write(string.format("read-list: sent %d, answered %d, non-200 %d\n", s, a, b))
end
