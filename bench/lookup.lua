-- lookup.lua: wrk script for POST /v1/lookup: random national IDs, 80% with consent, 20% without.
--
-- Environment (read once per wrk thread, in init):
--   BENCH_TOKEN       the consumer agency's bearer token ("vk_agency_...")
--   BENCH_PURPOSE     its purpose code
--   BENCH_NIDS_YES    file of national IDs with a consent for that purpose, one a line
--   BENCH_NIDS_NO     file of national IDs without one
--   BENCH_ALLOW_PCT   share of requests drawn from BENCH_NIDS_YES, in percent (default 80)
--   BENCH_BATCH       lookups per request (default 1: POST /v1/lookup; more: POST /v1/lookups,
--                     {"lookups": [...]}, each lookup drawn as a single one is)
--
-- Each wrk thread loads both files, seeds its own random generator (time and thread number),
-- and puts a freshly drawn ID into every request. done() prints one line, "WRK_RESULT key=value ...",
-- that bench/run.sh parses: throughput, latency percentiles, wrk's error counts, and how many
-- requests were drawn from each file (the expected 200/403 split).

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

-- The IDs are kept in one string per file, 12 bytes each, not in a table of strings. With
-- tables of 500,000 strings, Lua's collector walked all of them again and again: wrk, which
-- shares the server's two cores, spent more CPU per request, and stalled for its collections,
-- which counted as latency in the tail. The file is read whole and its newlines dropped in one
-- pass: read line by line, the two files of a 1,000,000-citizen run took wrk about a second
-- of CPU at its start, 0.15 s now. wrk loads each thread's script just before starting that
-- thread, so the first thread's requests were already running meanwhile.
local function load(path)
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   local text = f:read("*a")
   f:close()
   -- every line exactly 12 characters: n matches of 13 bytes that cover the whole text
   local _, lines = text:gsub(("[^\n]"):rep(12) .. "\n", "")
   local ids, n = text:gsub("\n", "")
   assert(n > 0 and lines == n and #text == 13 * n, path .. " must hold 12-character national IDs, one a line")
   return ids, n
end

local yes, no, n_yes_ids, n_no_ids, head, tail, allow_pct, batch, item_head, item_tail

function init(args)
   local token = assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
   local purpose = assert(os.getenv("BENCH_PURPOSE"), "BENCH_PURPOSE is not set")
   yes, n_yes_ids = load(os.getenv("BENCH_NIDS_YES"))
   no, n_no_ids = load(os.getenv("BENCH_NIDS_NO"))
   collectgarbage()
   allow_pct = tonumber(os.getenv("BENCH_ALLOW_PCT") or "80")
   -- every body has the same length (a national ID is 12 digits): the request is formatted once
   -- around a placeholder, and each request puts an ID in its place
   local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
   local item = '{"national_id":"@@@@@@@@@@@@","purpose":"' .. purpose .. '"}'
   batch = tonumber(os.getenv("BENCH_BATCH") or "1")
   if batch > 1 then
      -- a batch: the request is formatted around a placeholder for the whole list, whose items
      -- all have the same length
      local req = wrk.format("POST", "/v1/lookups", headers,
         '{"lookups":[' .. (item .. ","):rep(batch - 1) .. item .. ']}')
      local first = assert(req:find('{"national_id"', 1, true), "no item")
      local len = #item * batch + batch - 1
      head, tail = req:sub(1, first - 1), req:sub(first + len)
      local at = item:find("@@@@@@@@@@@@", 1, true)
      item_head, item_tail = item:sub(1, at - 1), item:sub(at + 12)
   else
      local req = wrk.format("POST", nil, headers, item)
      local at = assert(req:find("@@@@@@@@@@@@", 1, true), "no placeholder")
      head, tail = req:sub(1, at - 1), req:sub(at + 12)
   end
   -- tid is set by setup() in this thread's own Lua state: every thread draws its own sequence
   math.randomseed(os.time() * 1009 + (tid or 0) * 7919 + math.floor(os.clock() * 1e6))
   for _ = 1, 10 do math.random() end
   n_yes, n_no = 0, 0
end

-- One national ID, drawn from the consent file allow_pct percent of the time.
local function draw()
   local i
   if math.random(100) <= allow_pct then
      n_yes = n_yes + 1
      i = math.random(n_yes_ids) * 12
      return yes:sub(i - 11, i)
   end
   n_no = n_no + 1
   i = math.random(n_no_ids) * 12
   return no:sub(i - 11, i)
end

function request()
   if batch == 1 then
      return head .. draw() .. tail
   end
   local items = {}
   for k = 1, batch do
      items[k] = item_head .. draw() .. item_tail
   end
   return head .. table.concat(items, ",") .. tail
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
