-- healthz.lua: wrk script for the floor (GET /healthz): wrk's own static request, and one parseable line.
--
-- No request() function: wrk sends its fixed request with no Lua work per request, so this is
-- the ceiling of this server on this machine. done() prints "WRK_RESULT key=value ..." in the
-- same form as bench/lookup.lua.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f"
      .. " max_ms=%.3f connect=%d read=%d write=%d status=%d timeout=%d picked_yes=0 picked_no=0\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3,
      latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout))
end
