// The pure functions of the true engagement model.
#include "reco/sim/engagement_model.h"

#include <gtest/gtest.h>

#include "reco/core/error.h"
#include "reco/sim/alias_table.h"

namespace reco::sim {
namespace {

TEST(EngagementModel, HashedNormalIsFixedWithUnitMoments) {
  const int n = 400'000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = hashed_normal(pair_word(7, 3, static_cast<uint64_t>(i)));
    sum += x;
    sq += x * x;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n));      // sd of the mean is 1/sqrt(n)
  EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / n));  // sd of the variance ~ sqrt(2/n) (kurtosis < 3)
  EXPECT_EQ(hashed_normal(pair_word(7, 3, 11)), hashed_normal(pair_word(7, 3, 11)));
  EXPECT_NE(hashed_normal(pair_word(7, 3, 11)), hashed_normal(pair_word(8, 3, 11)));
  EXPECT_NE(hashed_normal(pair_word(7, 3, 11)), hashed_normal(pair_word(7, 4, 11)));
}

TEST(EngagementModel, CurvesAndCascade) {
  EXPECT_DOUBLE_EQ(examination_probability(0.9, 1.0, 1), 0.9);
  EXPECT_DOUBLE_EQ(examination_probability(1.0, 1.0, 4), 0.25);
  EXPECT_DOUBLE_EQ(examination_probability(1.0, 0.5, 4), 0.5);
  const StageParams s{0.1, 0.5, 2.0};
  EXPECT_DOUBLE_EQ(stage_probability(s, 0.0), 0.1);
  EXPECT_DOUBLE_EQ(stage_probability(s, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(stage_probability(s, 0.5), 0.1 + 0.4 * 0.25);
  for (double r = 0.0; r < 0.99; r += 0.1) EXPECT_LT(stage_probability(s, r), stage_probability(s, r + 0.1));
  SimConfig c;
  const CascadeStages st = cascade_stages(c, 0.7);
  const EngagementProbs p = unconditional(0.5, st);
  EXPECT_DOUBLE_EQ(p.closeup, 0.5 * stage_probability(c.closeup, 0.7));
  EXPECT_DOUBLE_EQ(p.click, p.closeup * stage_probability(c.click, 0.7));
  EXPECT_DOUBLE_EQ(p.long_click, p.click * stage_probability(c.long_click, 0.7));
  EXPECT_DOUBLE_EQ(p.save, p.closeup * stage_probability(c.save, 0.7));
}

TEST(AliasTable, DrawsFollowWeights) {
  const std::vector<double> w = {1, 0, 3, 6};
  const AliasTable t(w);
  Rng rng(5);
  const int n = 200'000;
  std::vector<double> count(w.size());
  for (int i = 0; i < n; ++i) ++count[t.sample(rng)];
  for (size_t k = 0; k < w.size(); ++k) {
    const double p = w[k] / 10.0;
    EXPECT_NEAR(count[k], n * p, 5.0 * std::sqrt(n * p * (1 - p)) + 1e-9) << k;
  }
  EXPECT_THROW(AliasTable(std::vector<double>{0, 0}), Error);
}

}  // namespace
}  // namespace reco::sim
