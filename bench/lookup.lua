-- lookup.lua: wrk script for POST /v1/lookup: random national IDs, 80% with consent, 20% without.
--
-- Environment (read once per wrk thread, in init):
--   BENCH_TOKEN       the consumer agency's bearer token ("vk_agency_...")
--   BENCH_PURPOSE     its purpose code
--   BENCH_NIDS_YES    file of national IDs with a consent for that purpose, one a line
--   BENCH_NIDS_NO     file of national IDs without one
--   BENCH_ALLOW_PCT   share of requests drawn from BENCH_NIDS_YES, in percent (default 80)
--
-- Each wrk thread loads both files, seeds its own random generator (time and thread number),
-- and builds every request body afresh. done() prints one line, "WRK_RESULT key=value ...",
-- that bench/run.sh parses: throughput, latency percentiles, wrk's error counts, and how many
-- requests were drawn from each file (the expected 200/403 split).

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

local function load(path)
   local t = {}
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   for line in f:lines() do
      if #line >= 12 then t[#t + 1] = line:sub(1, 12) end
   end
   f:close()
   assert(#t > 0, path .. " holds no national ID")
   return t
end

local yes, no, headers, purpose, allow_pct

function init(args)
   local token = assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
   purpose = assert(os.getenv("BENCH_PURPOSE"), "BENCH_PURPOSE is not set")
   yes = load(os.getenv("BENCH_NIDS_YES"))
   no = load(os.getenv("BENCH_NIDS_NO"))
   allow_pct = tonumber(os.getenv("BENCH_ALLOW_PCT") or "80")
   headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
   -- tid is set by setup() in this thread's own Lua state: every thread draws its own sequence
   math.randomseed(os.time() * 1009 + (tid or 0) * 7919 + math.floor(os.clock() * 1e6))
   for _ = 1, 10 do math.random() end
   n_yes, n_no = 0, 0
end

function request()
   local nid
   if math.random(100) <= allow_pct then
      n_yes = n_yes + 1
      nid = yes[math.random(#yes)]
   else
      n_no = n_no + 1
      nid = no[math.random(#no)]
   end
   return wrk.format("POST", nil, headers, '{"national_id":"' .. nid .. '","purpose":"' .. purpose .. '"}')
end

function done(summary, latency, requests)
   local picked_yes, picked_no = 0, 0
   for _, t in ipairs(threads) do
      picked_yes = picked_yes + (t:get("n_yes") or 0)
      picked_no = picked_no + (t:get("n_no") or 0)
   end
   local e = summary.errors
   io.write(string.format("WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f"
      .. " max_ms=%.3f connect=%d read=%d write=%d status=%d timeout=%d picked_yes=%d picked_no=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3,
      latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout, picked_yes, picked_no))
end
