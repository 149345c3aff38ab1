#include "reco/serve/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace reco::serve {

namespace {

constexpr std::array<std::string_view, kEndpointCount> kEndpointNames = {
    "recommend", "score", "events", "items", "bundle", "stats", "healthz", "readyz", "metrics",
    "admin_reload", "admin_weights", "web", "other"};

// kLatencyBoundsMs in seconds, spelled out so the `le` labels are exact and stable.
constexpr std::array<std::string_view, kLatencyBoundsMs.size()> kBoundsSecondsText = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};

// Label values may hold any text; the exposition format escapes \, " and newline.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

void render_histogram(std::string& out, std::string_view name, std::string_view label,
                      std::string_view value, const HistogramSnapshot& h) {
  const std::string labels = std::string(label) + "=\"" + escape_label(value) + "\"";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    cumulative += h.counts[b];
    std::string_view le = b < kBoundsSecondsText.size() ? kBoundsSecondsText[b] : "+Inf";
    out += std::string(name) + "_bucket{" + labels + ",le=\"" + std::string(le) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += std::string(name) + "_sum{" + labels + "} " + number(h.sum_ms / 1000.0) + "\n";
  out += std::string(name) + "_count{" + labels + "} " + std::to_string(cumulative) + "\n";
}

nlohmann::json histogram_json(const HistogramSnapshot& h) {
  nlohmann::json j = nlohmann::json::object();
  j["count"] = h.count;
  j["p50_ms"] = h.quantile(0.5);
  j["p99_ms"] = h.quantile(0.99);
  j["mean_ms"] = h.count ? h.sum_ms / static_cast<double>(h.count) : 0.0;
  j["buckets_ms"] = kLatencyBoundsMs;
  j["counts"] = h.counts;  // last entry: above the last bound
  return j;
}

}  // namespace

std::string_view endpoint_name(Endpoint endpoint) {
  auto i = static_cast<size_t>(endpoint);
  return i < kEndpointCount ? kEndpointNames[i] : "other";
}

double HistogramSnapshot::quantile(double q) const {
  if (count == 0) return 0;
  q = std::min(1.0, std::max(0.0, q));
  const double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    if (counts[b] == 0 || static_cast<double>(below + counts[b]) < rank) {
      below += counts[b];
      continue;
    }
    if (b == kLatencyBoundsMs.size()) return kLatencyBoundsMs.back();
    const double lo = b == 0 ? 0.0 : kLatencyBoundsMs[b - 1];
    const double hi = kLatencyBoundsMs[b];
    return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(counts[b]);
  }
  return kLatencyBoundsMs.back();
}

void LatencyHistogram::observe(double ms) {
  if (!(ms >= 0)) ms = 0;  // NaN or a clock step backwards
  size_t b = 0;
  while (b < kLatencyBoundsMs.size() && ms > kLatencyBoundsMs[b]) ++b;
  counts_[b].fetch_add(1, std::memory_order_relaxed);
  const double ns = std::min(ms * 1e6, 1e15);  // one observation past 11 days is clamped
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(ns)), std::memory_order_relaxed);
}

HistogramSnapshot LatencyHistogram::snapshot() const {
  HistogramSnapshot s;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    s.counts[b] = counts_[b].load(std::memory_order_relaxed);
    s.count += s.counts[b];
  }
  s.sum_ms = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

Metrics::Metrics() = default;

void Metrics::observe_request(Endpoint endpoint, int status, double ms) {
  auto i = static_cast<size_t>(endpoint);
  if (i >= kEndpointCount) i = static_cast<size_t>(Endpoint::kOther);
  EndpointMetrics& e = endpoints_[i];
  if (status >= kMinStatus && status <= kMaxStatus) {
    e.by_status[status - kMinStatus].fetch_add(1, std::memory_order_relaxed);
  }
  if (ms >= 0) e.latency.observe(ms);
}

LatencyHistogram* Metrics::stage(std::string_view name) {
  size_t n = stage_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (stages_[i].name == name) return &stages_[i].latency;
  }
  std::lock_guard<std::mutex> lock(stage_mutex_);
  n = stage_count_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (stages_[i].name == name) return &stages_[i].latency;
  }
  if (n == kMaxStages) return nullptr;
  stages_[n].name = std::string(name);
  stage_count_.store(n + 1, std::memory_order_release);
  return &stages_[n].latency;
}

void Metrics::observe_stages(const std::map<std::string, double>& stage_ms) {
  for (const auto& [name, ms] : stage_ms) {
    if (LatencyHistogram* h = stage(name)) h->observe(ms);
  }
}

uint64_t Metrics::requests(Endpoint endpoint, int status) const {
  auto i = static_cast<size_t>(endpoint);
  if (i >= kEndpointCount || status < kMinStatus || status > kMaxStatus) return 0;
  return endpoints_[i].by_status[status - kMinStatus].load(std::memory_order_relaxed);
}

HistogramSnapshot Metrics::endpoint_latency(Endpoint endpoint) const {
  auto i = static_cast<size_t>(endpoint);
  if (i >= kEndpointCount) i = static_cast<size_t>(Endpoint::kOther);
  return endpoints_[i].latency.snapshot();
}

std::string Metrics::prometheus(std::string_view bundle_version, bool ready) const {
  std::string out;
  out.reserve(16384);
  out += "# HELP reco_http_requests_total HTTP requests answered, by endpoint and status code.\n";
  out += "# TYPE reco_http_requests_total counter\n";
  for (size_t e = 0; e < kEndpointCount; ++e) {
    for (int s = kMinStatus; s <= kMaxStatus; ++s) {
      uint64_t n = endpoints_[e].by_status[s - kMinStatus].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "reco_http_requests_total{endpoint=\"" + std::string(kEndpointNames[e]) + "\",code=\"" +
             std::to_string(s) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP reco_http_request_duration_seconds Time from request headers read to response ready.\n";
  out += "# TYPE reco_http_request_duration_seconds histogram\n";
  for (size_t e = 0; e < kEndpointCount; ++e) {
    HistogramSnapshot h = endpoints_[e].latency.snapshot();
    if (h.count == 0) continue;
    render_histogram(out, "reco_http_request_duration_seconds", "endpoint", kEndpointNames[e], h);
  }
  out += "# HELP reco_stage_duration_seconds Time per cascade stage of recommend/score (Response stage_ms).\n";
  out += "# TYPE reco_stage_duration_seconds histogram\n";
  const size_t n_stages = stage_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n_stages; ++i) {
    render_histogram(out, "reco_stage_duration_seconds", "stage", stages_[i].name,
                     stages_[i].latency.snapshot());
  }
  out += "# HELP reco_http_requests_in_flight Requests being read, served or written.\n";
  out += "# TYPE reco_http_requests_in_flight gauge\n";
  out += "reco_http_requests_in_flight " + std::to_string(in_flight()) + "\n";
  out += "# HELP reco_http_connections Connections admitted (served or waiting), at most max_inflight.\n";
  out += "# TYPE reco_http_connections gauge\n";
  out += "reco_http_connections " + std::to_string(connections()) + "\n";
  out += "# HELP reco_http_rejected_total Connections answered 503 because max_inflight were admitted.\n";
  out += "# TYPE reco_http_rejected_total counter\n";
  out += "reco_http_rejected_total " + std::to_string(rejected()) + "\n";
  out += "# HELP reco_bundle_ready 1 once a bundle is loaded.\n";
  out += "# TYPE reco_bundle_ready gauge\n";
  out += std::string("reco_bundle_ready ") + (ready ? "1" : "0") + "\n";
  out += "# HELP reco_bundle_info The live bundle's version (value always 1).\n";
  out += "# TYPE reco_bundle_info gauge\n";
  out += "reco_bundle_info{version=\"" + escape_label(bundle_version) + "\"} 1\n";
  return out;
}

nlohmann::json Metrics::stats_json(std::string_view bundle_version) const {
  nlohmann::json out = nlohmann::json::object();
  out["bundle_version"] = std::string(bundle_version);
  nlohmann::json endpoints = nlohmann::json::object();
  for (size_t e = 0; e < kEndpointCount; ++e) {
    HistogramSnapshot h = endpoints_[e].latency.snapshot();
    uint64_t answered = 0, errors = 0;
    for (int s = kMinStatus; s <= kMaxStatus; ++s) {
      uint64_t n = endpoints_[e].by_status[s - kMinStatus].load(std::memory_order_relaxed);
      answered += n;
      if (s >= 400) errors += n;
    }
    if (answered == 0 && h.count == 0) continue;
    nlohmann::json j = histogram_json(h);
    j["count"] = answered;
    j["errors"] = errors;
    endpoints[std::string(kEndpointNames[e])] = std::move(j);
  }
  out["endpoints"] = std::move(endpoints);
  nlohmann::json stages = nlohmann::json::object();
  const size_t n_stages = stage_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n_stages; ++i) {
    stages[stages_[i].name] = histogram_json(stages_[i].latency.snapshot());
  }
  out["stages"] = std::move(stages);
  out["in_flight"] = in_flight();
  out["connections"] = connections();
  out["rejected"] = rejected();
  return out;
}

}  // namespace reco::serve
