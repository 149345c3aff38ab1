-- wrk script: POST /v1/recommend for users drawn from [0, USERS) (env RECO_USERS, default 3000),
-- fixed seed per thread so runs repeat. Counts non-200 answers and reports them at the end.
local users = tonumber(os.getenv("RECO_USERS") or "3000")
local k = tonumber(os.getenv("RECO_K") or "10")
local path = os.getenv("RECO_PATH") or "/v1/recommend"
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + id)
  bad = 0
  versions = {}
end

function request()
  local body = string.format('{"user": %d, "k": %d, "context": {"platform": "ios", "locale": "en"}}',
                             math.random(0, users - 1), k)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local v = headers["X-Reco-Bundle-Version"] or headers["x-reco-bundle-version"]
  if v then versions[v] = (versions[v] or 0) + 1 end
end

function done(summary, latency, requests)
  local total_bad = 0
  local seen = {}
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    for v, n in pairs(t:get("versions")) do seen[v] = (seen[v] or 0) + n end
  end
  io.write(string.format("RESULT requests=%d non200=%d socket_errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f rps=%.1f\n",
    summary.requests, total_bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
  for v, n in pairs(seen) do io.write(string.format("VERSION %s %d\n", v, n)) end
end
