-- tests/bench/put-funnels.lua — wrk script for tests/bench/run-submissions: PUTs full funnels
-- (all six stages, every breakdown the stage accepts) to /v1/municipalities/{code}/funnels/{period}
-- for every (municipality, quarter) in turn, each body freshly drawn, so that every request is a
-- real new revision (never "unchanged"). Synthetic numbers.
--
-- wrk -t2 -c16 -d15s --latency -s put-funnels.lua URL -- TOKEN CODES_FILE PERIODS
--   CODES_FILE  one municipality code a line
--   PERIODS     comma separated quarters, e.g. 2024-Q4,2025-Q1

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local codes, periods = {}, {}
local n, total, auth

local stages = {"occurred", "disclosed", "signalled", "reported", "investigated", "helped"}
local dims = {
  {"gender", {"girl", "boy", "other", "unknown"}, {60, 34, 2, 4}},
  {"ageBand", {"0-5", "6-11", "12-15", "16-17", "unknown"}, {10, 25, 35, 25, 5}},
  {"offence", {"handsOn", "handsOff", "unknown"}, {55, 40, 5}},
  {"disability", {"yes", "no", "unknown"}, {15, 80, 5}},
}
local care = {"care", {"ambulatory", "residential", "secure", "unknown"}, {80, 12, 3, 5}}

function init(args)
  auth = "Bearer " .. args[1]
  for line in io.lines(args[2]) do
    if line:match("^GM%d%d%d%d$") then codes[#codes + 1] = line end
  end
  for p in string.gmatch(args[3], "[^,]+") do periods[#periods + 1] = p end
  total = #codes * #periods
  -- Threads start at different places so that they rarely write one resource at once.
  n = math.floor(tid * total / 2)
  -- Seeded by the clock: a warm-up run and the measured run draw different bodies.
  math.randomseed(os.time() * 7 + tid * 7919 + math.floor(os.clock() * 1000000))
end

-- total split over the weights, the last category taking what is left.
local function split(t, d)
  local names, w = d[2], d[3]
  local parts, left, sum = {}, t, 0
  for i = 1, #w do sum = sum + w[i] end
  for i = 1, #names - 1 do
    local share = math.floor(t * w[i] / sum + math.random() * 2 - 1)
    if share < 0 then share = 0 end
    if share > left then share = left end
    parts[#parts + 1] = string.format('"%s":%d', names[i], share)
    left = left - share
  end
  parts[#parts + 1] = string.format('"%s":%d', names[#names], left)
  return string.format('"%s":{%s}', d[1], table.concat(parts, ","))
end

local function body()
  local out = {}
  local t = 100 + math.random(0, 900)
  for s = 1, #stages do
    if s > 1 then t = math.floor(t * (0.5 + math.random() * 0.45)) end
    local b = {}
    for i = 1, #dims do b[#b + 1] = split(t, dims[i]) end
    if stages[s] == "helped" then b[#b + 1] = split(t, care) end
    out[#out + 1] = string.format('"%s":{"total":%d,"breakdowns":{%s}}', stages[s], t,
                                  table.concat(b, ","))
  end
  return '{"stages":{' .. table.concat(out, ",") .. '}}'
end

function request()
  local i = n % total
  n = n + 1
  local code = codes[(i % #codes) + 1]
  local period = periods[math.floor(i / #codes) + 1]
  return wrk.format("PUT", "/v1/municipalities/" .. code .. "/funnels/" .. period,
                    {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body())
end

local statuses = {}
function response(status, headers, b)
  statuses[status] = (statuses[status] or 0) + 1
  s_str = ""
  for k, v in pairs(statuses) do s_str = s_str .. k .. "=" .. v .. " " end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.stderr:write(string.format("thread %d statuses: %s\n", t:get("tid"), t:get("s_str") or ""))
  end
end
