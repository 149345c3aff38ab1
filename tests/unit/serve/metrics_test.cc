#include "reco/serve/metrics.h"

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace reco::serve {
namespace {

// Parses Prometheus text exposition: sample lines "name{labels} value" into a map
// "name{labels}" -> value; fails the test on a line that is neither a sample nor a comment.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  static const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) ([-+0-9.eE]+|\+Inf|NaN))");
  static const std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, comment)) continue;
    if (!std::regex_match(line, m, sample)) {
      ADD_FAILURE() << "not a Prometheus line: '" << line << "'";
      continue;
    }
    EXPECT_EQ(out.count(m[1]), 0u) << "duplicate series " << m[1];
    out[m[1]] = std::stod(m[3]);
  }
  return out;
}

TEST(Metrics, QuantileInterpolatesInsideTheBucket) {
  LatencyHistogram h;
  // 100 observations in (1, 2.5] ms: p50 is halfway through that bucket.
  for (int i = 0; i < 100; ++i) h.observe(2.0);
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, 100u);
  EXPECT_NEAR(s.sum_ms, 200.0, 1e-6);
  EXPECT_NEAR(s.quantile(0.5), 1.0 + 1.5 * 0.5, 1e-9);
  EXPECT_NEAR(s.quantile(0.99), 1.0 + 1.5 * 0.99, 1e-9);
  // 90 fast (<= 0.1 ms) and 10 slow (in (50, 100]): p50 in the first bucket, p99 in the slow one.
  LatencyHistogram g;
  for (int i = 0; i < 90; ++i) g.observe(0.05);
  for (int i = 0; i < 10; ++i) g.observe(75);
  HistogramSnapshot t = g.snapshot();
  EXPECT_NEAR(t.quantile(0.5), 0.1 * 50 / 90, 1e-9);
  EXPECT_NEAR(t.quantile(0.99), 50 + 50 * 9.0 / 10, 1e-9);
  // Past the last bound: answers the last finite bound.
  LatencyHistogram slow;
  slow.observe(1e6);
  EXPECT_EQ(slow.snapshot().quantile(0.5), kLatencyBoundsMs.back());
  EXPECT_EQ(LatencyHistogram().snapshot().quantile(0.5), 0.0);
}

TEST(Metrics, BucketEdgesAreInclusive) {
  LatencyHistogram h;
  h.observe(1.0);   // le=1
  h.observe(1.0001);
  h.observe(-3);    // clamped to 0
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.counts[3], 1u);  // bound 1 ms
  EXPECT_EQ(s.counts[4], 1u);  // bound 2.5 ms
  EXPECT_EQ(s.counts[0], 1u);
}

TEST(Metrics, PrometheusTextIsWellFormedAndCountsAgree) {
  Metrics m;
  for (int i = 0; i < 7; ++i) m.observe_request(Endpoint::kRecommend, 200, 1.5);
  m.observe_request(Endpoint::kRecommend, 400, 0.2);
  m.observe_request(Endpoint::kOther, 404, -1);  // no latency
  m.observe_stages({{"rank", 0.7}, {"total", 1.2}});
  m.observe_stages({{"rank", 30}});
  m.add_in_flight(2);
  m.add_rejected();
  auto series = parse_prometheus(m.prometheus("v\"1\n", true));
  EXPECT_EQ(series.at(R"(reco_http_requests_total{endpoint="recommend",code="200"})"), 7);
  EXPECT_EQ(series.at(R"(reco_http_requests_total{endpoint="recommend",code="400"})"), 1);
  EXPECT_EQ(series.at(R"(reco_http_requests_total{endpoint="other",code="404"})"), 1);
  EXPECT_EQ(series.at(R"(reco_http_request_duration_seconds_count{endpoint="recommend"})"), 8);
  EXPECT_EQ(series.at(R"(reco_http_request_duration_seconds_bucket{endpoint="recommend",le="0.00025"})"), 1);
  EXPECT_EQ(series.at(R"(reco_http_request_duration_seconds_bucket{endpoint="recommend",le="0.0025"})"), 8);
  EXPECT_EQ(series.at(R"(reco_http_request_duration_seconds_bucket{endpoint="recommend",le="+Inf"})"), 8);
  EXPECT_NEAR(series.at(R"(reco_http_request_duration_seconds_sum{endpoint="recommend"})"), (7 * 1.5 + 0.2) / 1000, 1e-9);
  EXPECT_EQ(series.count(R"(reco_http_request_duration_seconds_count{endpoint="other"})"), 0u);
  EXPECT_EQ(series.at(R"(reco_stage_duration_seconds_count{stage="rank"})"), 2);
  EXPECT_EQ(series.at(R"(reco_stage_duration_seconds_bucket{stage="rank",le="0.001"})"), 1);
  EXPECT_EQ(series.at("reco_http_requests_in_flight"), 2);
  EXPECT_EQ(series.at("reco_http_rejected_total"), 1);
  EXPECT_EQ(series.at("reco_bundle_ready"), 1);
  EXPECT_EQ(series.at(R"(reco_bundle_info{version="v\"1\n"})"), 1);
  // Buckets are cumulative: non-decreasing in le order.
  double previous = 0;
  for (std::string le : {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                         "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
    double v = series.at("reco_stage_duration_seconds_bucket{stage=\"rank\",le=\"" + le + "\"}");
    EXPECT_GE(v, previous);
    previous = v;
  }
}

TEST(Metrics, StatsJson) {
  Metrics m;
  for (int i = 0; i < 10; ++i) m.observe_request(Endpoint::kScore, i < 9 ? 200 : 503, 2.0);
  m.observe_stages({{"rank", 2.0}});
  nlohmann::json s = m.stats_json("v3");
  EXPECT_EQ(s["bundle_version"], "v3");
  EXPECT_EQ(s["endpoints"]["score"]["count"], 10);
  EXPECT_EQ(s["endpoints"]["score"]["errors"], 1);
  EXPECT_NEAR(s["endpoints"]["score"]["p50_ms"].get<double>(), 1.75, 1e-9);
  EXPECT_EQ(s["endpoints"]["score"]["buckets_ms"].size(), kLatencyBoundsMs.size());
  EXPECT_EQ(s["endpoints"]["score"]["counts"].size(), kLatencyBuckets);
  EXPECT_FALSE(s["endpoints"].contains("recommend"));
  EXPECT_EQ(s["stages"]["rank"]["count"], 1);
}

TEST(Metrics, ConcurrentUpdatesAreExact) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 5000; ++i) {
        m.observe_request(Endpoint::kEvents, 200, 0.01 * i);
        m.observe_stages({{"stage" + std::to_string((i + t) % 20), 1.0}});  // 20 names > kMaxStages
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.requests(Endpoint::kEvents, 200), 20000u);
  EXPECT_EQ(m.endpoint_latency(Endpoint::kEvents).count, 20000u);
  nlohmann::json s = m.stats_json("");
  EXPECT_EQ(s["stages"].size(), Metrics::kMaxStages);
  uint64_t total = 0;
  for (auto& [name, st] : s["stages"].items()) total += st["count"].get<uint64_t>();
  // A name is dropped only while all slots are taken, so a kept name has all its 1000 observations.
  EXPECT_EQ(total, 1000u * Metrics::kMaxStages);
}

}  // namespace
}  // namespace reco::serve
