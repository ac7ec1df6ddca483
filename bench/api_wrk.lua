-- wrk script for bench/api_load.py.
--
--   wrk -t2 -c32 -d10s --latency -s bench/api_wrk.lua http://127.0.0.1:PORT -- \
--       TOKEN PATH [ZONES_FILE|-] [IF_NONE_MATCH]
--
-- Every request: GET PATH with "Authorization: Bearer TOKEN"; with ZONES_FILE (one zone a
-- line) the query string ?zone=Z rotates over its zones, each wrk thread starting at its own
-- offset; with IF_NONE_MATCH that header is sent too. `done` prints one JSON line (prefixed
-- "WRK-JSON ") with the counts and the latency distribution in microseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local zones, path, counter = {}, "/", 0

function init(args)
  path = args[2]
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  if args[4] ~= nil and args[4] ~= "" then
    wrk.headers["If-None-Match"] = args[4]
  end
  if args[3] ~= nil and args[3] ~= "-" then
    for line in io.lines(args[3]) do
      if line ~= "" then zones[#zones + 1] = line end
    end
    counter = math.floor(id * #zones / 2)  -- a different starting zone per thread
  end
end

function request()
  if #zones == 0 then
    return wrk.format("GET", path)
  end
  counter = counter % #zones + 1
  return wrk.format("GET", path .. "?zone=" .. zones[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d},"latency_us":{"mean":%.1f,"stdev":%.1f,"p50":%d,' ..
    '"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
