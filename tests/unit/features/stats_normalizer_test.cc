#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/core/error.h"
#include "reco/features/dense_stats.h"
#include "reco/features/normalizer.h"

namespace reco {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Naive reference: full sort, type-7 quantile.
double naive_quantile(std::vector<double> sorted, double q) {
  double h = q * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

TEST(DenseStats, MatchesNaiveComputationOnRandomData) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<float> dist(1.0f, 1.5f);
  for (size_t n : {1u, 2u, 7u, 1000u, 12345u}) {
    std::vector<float> values(n);
    std::vector<double> present;
    uint64_t missing = 0;
    for (auto& v : values) {
      if (rng() % 5 == 0) {
        v = kNaN;
        ++missing;
      } else {
        v = dist(rng);
        present.push_back(v);
      }
    }
    DenseStats s = DenseStats::compute(values);
    EXPECT_EQ(s.missing, missing);
    ASSERT_EQ(s.count, present.size());
    if (present.empty()) continue;
    std::sort(present.begin(), present.end());
    double mean = 0;
    for (double v : present) mean += v;
    mean /= present.size();
    double var = 0;
    for (double v : present) var += (v - mean) * (v - mean);
    var /= present.size();
    EXPECT_NEAR(s.mean, mean, 1e-9 * std::max(1.0, std::abs(mean)));
    EXPECT_NEAR(s.std, std::sqrt(var), 1e-9 * std::max(1.0, std::sqrt(var)));
    EXPECT_EQ(s.min, present.front());
    EXPECT_EQ(s.max, present.back());
    EXPECT_NEAR(s.median, naive_quantile(present, 0.5), 1e-6);
    for (size_t i = 0; i < kDenseQuantileLevels.size(); ++i) {
      EXPECT_NEAR(s.quantiles[i], naive_quantile(present, kDenseQuantileLevels[i]), 1e-5)
          << "n=" << n << " q=" << kDenseQuantileLevels[i];
    }
  }
}

// The radix selection must equal selection on a sorted copy for every level, including ties
// across bucket boundaries, negative values, -0.0/+0.0, a single value and sizes 1..5.
TEST(DenseStats, RadixQuantilesMatchSortedOracle) {
  std::mt19937 rng(11);
  const std::vector<double> levels = {0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0, 0.333};
  for (int trial = 0; trial < 60; ++trial) {
    const size_t n = trial < 5 ? trial + 1 : 1 + rng() % 20000;
    std::vector<float> v(n);
    for (auto& x : v) {
      switch (trial % 4) {
        case 0: x = std::floor(std::exponential_distribution<float>(0.05f)(rng)); break;  // heavy ties
        case 1: x = std::normal_distribution<float>(0.0f, 1e3f)(rng); break;               // negatives
        case 2: x = (rng() % 3 == 0) ? -0.0f : (rng() % 2 ? 0.0f : 1.5f); break;           // signed zeros
        default: x = std::uniform_real_distribution<float>(-1e-30f, 1e30f)(rng); break;  // wide range
      }
    }
    std::vector<double> sorted(v.begin(), v.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> out(levels.size());
    exact_quantiles(v, levels, out);
    for (size_t i = 0; i < levels.size(); ++i) {
      const double expect = naive_quantile(sorted, levels[i]);
      EXPECT_NEAR(out[i], expect, 1e-9 * std::max(1.0, std::abs(expect)))
          << "trial " << trial << " n " << n << " level " << levels[i];
    }
  }
  std::vector<double> out(2);
  const std::vector<double> two = {0.5, 0.9};
  exact_quantiles(std::vector<float>{}, two, out);
  EXPECT_EQ(out[0], 0.0);
}

TEST(DenseStats, SmallHandCase) {
  std::vector<float> v{4, kNaN, 1, 3, 2};
  DenseStats s = DenseStats::compute(v);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.missing, 1u);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.quantiles[2], 1.75);  // 0.25 -> h = 0.75 between 1 and 2
  DenseStats none = DenseStats::compute(std::vector<float>{kNaN, kNaN});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.missing, 2u);
  EXPECT_EQ(none.mean, 0.0);
}

TEST(DenseStats, JsonRoundTrip) {
  std::vector<float> v{1, 5, 2, 8, kNaN, 3};
  DenseStats s = DenseStats::compute(v);
  DenseStats r = DenseStats::from_json(nlohmann::json::parse(s.to_json().dump()));
  EXPECT_EQ(r.count, s.count);
  EXPECT_EQ(r.missing, s.missing);
  EXPECT_DOUBLE_EQ(r.mean, s.mean);
  EXPECT_DOUBLE_EQ(r.std, s.std);
  EXPECT_DOUBLE_EQ(r.median, s.median);
  EXPECT_EQ(r.quantiles, s.quantiles);
  EXPECT_THROW(DenseStats::from_json(nlohmann::json{{"count", 1}}), Error);
}

TEST(Normalizer, NamesRoundTrip) {
  for (auto k : {NormalizerKind::kNone, NormalizerKind::kZScore, NormalizerKind::kLogMedian,
                 NormalizerKind::kLog1p}) {
    EXPECT_EQ(parse_normalizer_kind(normalizer_kind_name(k)), k);
  }
  EXPECT_THROW(parse_normalizer_kind("minmax"), Error);
}

TEST(Normalizer, Formulas) {
  DenseStats s = DenseStats::compute(std::vector<float>{1, 2, 3, 4, 10});
  // mean 4, median 3, population std sqrt(10)
  Normalizer z = Normalizer::fit(NormalizerKind::kZScore, s);
  EXPECT_NEAR(z.apply(10.0f), (10.0 - 4.0) / std::sqrt(10.0), 1e-6);
  EXPECT_NEAR(z.apply(4.0f), 0.0, 1e-7);
  Normalizer lm = Normalizer::fit(NormalizerKind::kLogMedian, s);
  EXPECT_NEAR(lm.apply(7.0f), std::log(8.0 / 4.0), 1e-6);
  EXPECT_NEAR(lm.apply(3.0f), 0.0, 1e-7);
  EXPECT_NEAR(lm.apply(-5.0f), std::log(1.0 / 4.0), 1e-6);  // clamped to 0
  Normalizer l1 = Normalizer::fit(NormalizerKind::kLog1p, s);
  EXPECT_NEAR(l1.apply(std::exp(2.0f) - 1.0f), 2.0, 1e-5);
  EXPECT_EQ(l1.apply(-3.0f), 0.0f);
  Normalizer none = Normalizer::fit(NormalizerKind::kNone, s);
  EXPECT_EQ(none.apply(-3.5f), -3.5f);
  for (const Normalizer& n : {z, lm, l1, none}) EXPECT_EQ(n.apply(kNaN), 0.0f);
  // Constant column: std 0 -> divide by 1.
  Normalizer c = Normalizer::fit(NormalizerKind::kZScore, DenseStats::compute(std::vector<float>{5, 5}));
  EXPECT_EQ(c.std, 1.0);
  EXPECT_EQ(c.apply(7.0f), 2.0f);
  std::vector<float> in{1, kNaN, 10}, out(3);
  z.apply(in, out);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], z.apply(10.0f));
}

TEST(Normalizer, JsonRoundTrip) {
  Normalizer n{NormalizerKind::kLogMedian, 1.5, 2.5, 3.25};
  Normalizer r = Normalizer::from_json(nlohmann::json::parse(n.to_json().dump()));
  EXPECT_EQ(r.kind, n.kind);
  EXPECT_EQ(r.mean, n.mean);
  EXPECT_EQ(r.std, n.std);
  EXPECT_EQ(r.median, n.median);
  EXPECT_THROW(Normalizer::from_json(nlohmann::json{{"kind", "bogus"}}), Error);
}

}  // namespace
}  // namespace reco
