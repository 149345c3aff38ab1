-- wrk script for the live-reload run (bench/serve/run_load.sh): POST /v1/recommend for random
-- users, like recommend.lua, and also checks the X-Reco-Bundle-Version of every answer.
-- Run it with one connection per thread (-tN -cN): a thread's requests then go one after
-- another, so the version it sees may change at most once per reload; SWITCHES reports the
-- largest count of changes on one connection and how many answers carried no version.
local users = tonumber(os.getenv("RECO_USERS") or "3000")
local k = tonumber(os.getenv("RECO_K") or "10")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(2000 + id)
  bad = 0
  untagged = 0
  switches = 0
  last = ""
  versions = {}
end

function request()
  local body = string.format('{"user": %d, "k": %d, "context": {"platform": "ios", "locale": "en"}}',
                             math.random(0, users - 1), k)
  return wrk.format("POST", "/v1/recommend", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local v = headers["X-Reco-Bundle-Version"] or headers["x-reco-bundle-version"]
  if v then
    versions[v] = (versions[v] or 0) + 1
    if last ~= "" and v ~= last then switches = switches + 1 end
    last = v
  else
    untagged = untagged + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_untagged, max_switches, total_switches = 0, 0, 0, 0
  local seen = {}
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_untagged = total_untagged + t:get("untagged")
    local s = t:get("switches")
    total_switches = total_switches + s
    if s > max_switches then max_switches = s end
    for v, n in pairs(t:get("versions")) do seen[v] = (seen[v] or 0) + n end
  end
  io.write(string.format("RESULT requests=%d non200=%d socket_errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f rps=%.1f\n",
    summary.requests, total_bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("SWITCHES max_switches=%d total_switches=%d untagged=%d\n", max_switches, total_switches,
    total_untagged))
  for v, n in pairs(seen) do io.write(string.format("VERSION %s %d\n", v, n)) end
end
