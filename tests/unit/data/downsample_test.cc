#include "reco/data/downsample.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/error.h"

namespace reco {
namespace {

TEST(Downsample, RateWithinBinomialTolerance) {
  const uint64_t n = 200000;
  for (double alpha : {0.05, 0.3, 0.9}) {
    uint64_t kept = 0;
    for (uint64_t r = 0; r < n; ++r) kept += keep_negative(r, alpha, 17);
    const double sd = std::sqrt(n * alpha * (1 - alpha));
    EXPECT_NEAR(static_cast<double>(kept), alpha * n, 6 * sd) << alpha;
  }
  for (uint64_t r = 0; r < 1000; ++r) EXPECT_TRUE(keep_negative(r, 1.0, 17));
}

TEST(Downsample, DeterministicAndSeeded) {
  int same = 0, differ_seed = 0;
  for (uint64_t r = 0; r < 5000; ++r) {
    same += keep_negative(r, 0.5, 3) == keep_negative(r, 0.5, 3);
    differ_seed += keep_negative(r, 0.5, 3) != keep_negative(r, 0.5, 4);
  }
  EXPECT_EQ(same, 5000);
  EXPECT_GT(differ_seed, 2000);  // independent streams disagree about half the time
  // Monotone in alpha: a row kept at a lower rate is kept at a higher one.
  for (uint64_t r = 0; r < 5000; ++r) {
    if (keep_negative(r, 0.2, 9)) {
      EXPECT_TRUE(keep_negative(r, 0.6, 9));
    }
  }
}

TEST(Downsample, ValidatesAlphaAndCalibrates) {
  EXPECT_THROW(keep_negative(0, 0.0, 1), Error);
  EXPECT_THROW(keep_negative(0, 1.5, 1), Error);
  EXPECT_THROW(keep_negative(0, std::nan(""), 1), Error);
  EXPECT_DOUBLE_EQ(calibrate_downsampled(0.3, 1.0), 0.3);
  // True rate p with negatives kept at alpha: observed q = p / (p + (1-p) alpha).
  const double p = 0.02, alpha = 0.1;
  const double q = p / (p + (1 - p) * alpha);
  EXPECT_NEAR(calibrate_downsampled(q, alpha), p, 1e-12);
}

}  // namespace
}  // namespace reco
