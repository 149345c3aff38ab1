// Metrics of `reco serve`: request counts by endpoint and status, latency histograms per
// endpoint and per cascade stage, in-flight gauges, overload rejections; rendered as
// Prometheus text (GET /metrics, exposition format 0.0.4) and as the /v1/stats JSON.
//
// Every update is a relaxed atomic add on preallocated storage (no lock on the request
// path): per endpoint, one counter per HTTP status 100..599 and one histogram. Stage names
// come from Response::stage_ms at run time; the first kMaxStages distinct names get a
// histogram each (registration takes a mutex once per name, lookups are lock-free), later
// names are dropped. A reader sees each counter exactly but the set of counters is not one
// atomic snapshot (a request may be in a histogram and not yet in its status counter).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace reco::serve {

/// Routes, as metric labels (endpoint_name()). kOther: unknown paths and requests that
/// failed before routing (bad request line, ...).
enum class Endpoint : uint8_t {
  kRecommend, kScore, kEvents, kItems, kBundle, kStats, kHealthz, kReadyz, kMetrics,
  kAdminReload, kAdminWeights, kWeb, kOther,
};
inline constexpr size_t kEndpointCount = 13;
std::string_view endpoint_name(Endpoint endpoint);

/// Upper bounds of the latency buckets in milliseconds (a +Inf bucket follows).
inline constexpr std::array<double, 16> kLatencyBoundsMs = {
    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;

/// A plain copy of a histogram (counts per bucket, not cumulative; last = +Inf).
struct HistogramSnapshot {
  std::array<uint64_t, kLatencyBuckets> counts{};
  uint64_t count = 0;
  double sum_ms = 0;
  /// Quantile q in [0, 1] in ms, linearly interpolated inside the bucket that holds it
  /// (Prometheus histogram_quantile); the +Inf bucket answers the last finite bound; 0 when empty.
  double quantile(double q) const;
};

/// Fixed-bucket latency histogram; observe() is wait-free.
class LatencyHistogram {
 public:
  void observe(double ms);
  HistogramSnapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBuckets> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  static constexpr size_t kMaxStages = 16;

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// One answered request. `ms` < 0: latency unknown (not put in the histogram).
  void observe_request(Endpoint endpoint, int status, double ms);
  /// Stage timings of one recommend/score answer (Response::stage_ms).
  void observe_stages(const std::map<std::string, double>& stage_ms);
  /// Requests between "headers read" and "response written" (gauge).
  void add_in_flight(int64_t delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  /// Connections admitted (being served or waiting for a connection thread) (gauge).
  void add_connections(int64_t delta) { connections_.fetch_add(delta, std::memory_order_relaxed); }
  /// Connections answered 503 because max_inflight connections were admitted already.
  void add_rejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }

  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  /// Requests of `endpoint` answered with `status` so far.
  uint64_t requests(Endpoint endpoint, int status) const;
  HistogramSnapshot endpoint_latency(Endpoint endpoint) const;

  /// Prometheus text exposition 0.0.4 (metric names in docs/api.md).
  std::string prometheus(std::string_view bundle_version, bool ready) const;
  /// The /v1/stats object: {"bundle_version", "endpoints": {name: {...}}, "stages": {...},
  /// "in_flight", "connections", "rejected"}; endpoints with no request are left out.
  nlohmann::json stats_json(std::string_view bundle_version) const;

 private:
  static constexpr int kMinStatus = 100, kMaxStatus = 599;
  struct EndpointMetrics {
    std::array<std::atomic<uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
    LatencyHistogram latency;
  };
  struct Stage {
    std::string name;  // written once before the slot is published
    LatencyHistogram latency;
  };
  LatencyHistogram* stage(std::string_view name);

  std::array<EndpointMetrics, kEndpointCount> endpoints_;
  std::array<Stage, kMaxStages> stages_;
  std::atomic<size_t> stage_count_{0};  // slots [0, stage_count_) are published
  std::mutex stage_mutex_;              // serializes registration only
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace reco::serve
