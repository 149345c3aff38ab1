#include "reco/memboost/position_priors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reco/core/error.h"
#include "synthetic_log.h"
#include "testing/testing.h"

namespace reco::memboost {
namespace {

using testlog::estimate_priors;

// The COEC bar: with no model effect (random placement), prior(p)/prior(1) recovers the
// true examination curve exam(p)/exam(1) within 5% relative at every position with >= 10k impressions.
TEST(PositionPriors, RecoverKnownExaminationCurveWithinFivePercent) {
  testlog::Config cfg;
  cfg.requests = 60000;
  cfg.positions = 10;
  const auto events = testlog::downsample(testlog::generate(cfg), 0.5, 7);
  const PositionPriors priors = estimate_priors(events);
  int checked = 0;
  double worst = 0;
  for (size_t pl = 0; pl < testlog::kPlatforms.size(); ++pl) {
    const int slot = priors.platform_slot(testlog::kPlatforms[pl]);
    ASSERT_GT(slot, 0);
    for (size_t t = 0; t < testlog::kTypes.size(); ++t) {
      for (uint32_t p = 1; p <= cfg.positions; ++p) {
        if (priors.impressions(slot, p) < 10000) continue;
        const double truth = testlog::exam(pl, p) / testlog::exam(pl, 1);
        const double got = priors.normalized(slot, p, t);
        worst = std::max(worst, std::abs(got / truth - 1.0));
        EXPECT_NEAR(got / truth, 1.0, 0.05) << testlog::kPlatforms[pl] << " " << testlog::kTypes[t] << " p=" << p;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 30);  // the bar must actually have been tested
  std::printf("examination curve: worst relative error %.4f over %d (platform, type, position) cells\n", worst,
              checked);
}

TEST(PositionPriors, DownsampledLogWeightedLikeTheFullLog) {
  testlog::Config cfg;
  cfg.requests = 30000;
  const auto full = testlog::generate(cfg);
  const auto down = testlog::downsample(full, 0.2, 3);
  ASSERT_LT(down.size(), full.size() * 0.6);
  const PositionPriors a = estimate_priors(full), b = estimate_priors(down);
  // Unweighted counts of the downsampled log would inflate the rates: check the test can fail.
  std::vector<Event> unweighted = down;
  for (auto& e : unweighted) e.sample_weight = 1.0;
  const PositionPriors naive = estimate_priors(unweighted);
  for (uint32_t p = 1; p <= cfg.positions; ++p) {
    EXPECT_NEAR(b.prior(0, p, 0) / a.prior(0, p, 0), 1.0, 0.05) << "p=" << p;
    EXPECT_NEAR(b.impressions(0, p) / a.impressions(0, p), 1.0, 0.05) << "p=" << p;
    EXPECT_GT(naive.prior(0, p, 0) / a.prior(0, p, 0), 1.3) << "p=" << p;
  }
}

TEST(PositionPriors, PolicyFilterAndFallbackPastSupportedPositions) {
  testlog::Config cfg;
  cfg.requests = 2000;
  cfg.positions = 12;
  cfg.policies = {"random", "model"};
  auto events = testlog::generate(cfg);
  // Make the "model" rows very different so a filter leak would show.
  for (auto& e : events)
    if (e.policy == "model") e.engaged.assign(2, 1);
  PriorOptions opt;
  opt.policy = "random";
  opt.min_impressions = 400;  // ~500 random impressions per platform and position; deep ones thinned below
  // Thin positions 9..12 so they fall below min_impressions.
  std::vector<Event> thinned;
  for (const auto& e : events)
    if (e.position < 9 || e.user_id % 4 == 0) thinned.push_back(e);
  uint64_t random_rows = 0;
  for (const auto& e : thinned) random_rows += e.policy == "random";
  const PositionPriors p = estimate_priors(thinned, opt);
  EXPECT_EQ(p.rows_read(), thinned.size());
  EXPECT_EQ(p.rows_used(), random_rows);
  for (uint32_t q = 1; q <= 12; ++q) EXPECT_LT(p.prior(0, q, 0), 0.9) << "model rows leaked at p=" << q;
  // Positions 9.. take position 8's value (the last supported), per platform too.
  for (uint32_t q = 9; q <= 14; ++q) {
    EXPECT_DOUBLE_EQ(p.prior(0, q, 0), p.prior(0, 8, 0));
    EXPECT_DOUBLE_EQ(p.prior(1, q, 1), p.prior(1, 8, 1));
  }
  EXPECT_EQ(p.max_position(), 12u);
  EXPECT_EQ(p.platform_slot("android"), 0);  // unknown platform -> pooled curve
}

TEST(PositionPriors, SaveLoadRoundTrip) {
  testlog::Config cfg;
  cfg.requests = 500;
  PriorOptions opt;
  opt.min_impressions = 50;
  opt.smoothing = 20;
  const PositionPriors a = estimate_priors(testlog::generate(cfg), opt);
  testing::TempDir dir;
  a.save(dir.file("priors.json"));
  const PositionPriors b = PositionPriors::load(dir.file("priors.json"));
  EXPECT_EQ(b.types(), a.types());
  EXPECT_EQ(b.platforms(), a.platforms());
  EXPECT_EQ(b.fingerprint(), a.fingerprint());
  for (int s = 0; s <= 2; ++s)
    for (uint32_t q = 1; q <= 11; ++q)
      for (size_t t = 0; t < 2; ++t) EXPECT_DOUBLE_EQ(b.prior(s, q, t), a.prior(s, q, t));
  testing::write_file(dir.file("bad.json"), "{\"format\": \"something else\"}");
  EXPECT_THROW(PositionPriors::load(dir.file("bad.json")), Error);
  EXPECT_THROW(PositionPriors::load(dir.file("missing.json")), Error);
}

}  // namespace
}  // namespace reco::memboost
