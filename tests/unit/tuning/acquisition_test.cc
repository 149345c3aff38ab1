#include "reco/tuning/acquisition.h"

#include <gtest/gtest.h>

#include <cmath>

namespace reco::tuning {
namespace {

// Direct formula in long double, accurate where the cancellation in z Phi + phi is mild.
long double direct_h(long double z) {
  const long double cdf = 0.5L * std::erfc(-z / std::sqrt(2.0L));
  const long double pdf = std::exp(-0.5L * z * z) / std::sqrt(2.0L * 3.14159265358979323846L);
  return z * cdf + pdf;
}

TEST(Acquisition, LogHMatchesDirectFormula) {
  for (double z = -6.0; z <= 6.0; z += 0.25) {
    const double expected = static_cast<double>(std::log(direct_h(z)));
    // Both branches (z >= -3 direct, below: continued fraction) against long double.
    EXPECT_NEAR(log_h(z), expected, 1e-9 * std::max(1.0, std::abs(expected))) << "z = " << z;
  }
}

TEST(Acquisition, LogHIsFiniteAndAccurateFarInTheTail) {
  // h(z) ~ phi(z) / z^2 for z -> -inf: log h(-40) = -800 - log sqrt(2 pi) - 2 log 40 + O(1/z^2).
  const double z = -40.0;
  const double v = log_h(z);
  ASSERT_TRUE(std::isfinite(v));
  const double asymptotic = -0.5 * z * z - 0.5 * std::log(2 * M_PI) - 2 * std::log(40.0);
  EXPECT_NEAR(v, asymptotic, 3.0 / (z * z));  // next term: log(1 - 3/z^2)
  double d = 0;
  log_h(-200.0, &d);
  EXPECT_TRUE(std::isfinite(d));
  EXPECT_NEAR(d, 200.0, 0.1);  // d log h/dz ~ -z for very negative z
}

TEST(Acquisition, DerivativesMatchFiniteDifferences) {
  for (double z : {-30.0, -8.0, -3.5, -2.9, -1.0, 0.0, 2.0}) {
    double d = 0;
    log_h(z, &d);
    const double e = 1e-5;
    EXPECT_NEAR(d, (log_h(z + e) - log_h(z - e)) / (2 * e), 1e-5 * std::max(1.0, std::abs(d))) << "z = " << z;
    double dc = 0;
    log_normal_cdf(z, &dc);
    EXPECT_NEAR(dc, (log_normal_cdf(z + e) - log_normal_cdf(z - e)) / (2 * e), 1e-5 * std::max(1.0, std::abs(dc)))
        << "z = " << z;
  }
  double dm = 0, ds = 0;
  const double mean = 0.3, sd = 0.2, best = 0.5, e = 1e-6;
  log_expected_improvement(mean, sd, best, &dm, &ds);
  EXPECT_NEAR(dm, (log_expected_improvement(mean + e, sd, best) - log_expected_improvement(mean - e, sd, best)) / (2 * e),
              1e-5);
  EXPECT_NEAR(ds, (log_expected_improvement(mean, sd + e, best) - log_expected_improvement(mean, sd - e, best)) / (2 * e),
              1e-5);
}

TEST(Acquisition, LogNormalCdf) {
  for (double z = -5.0; z <= 5.0; z += 0.5) EXPECT_NEAR(log_normal_cdf(z), std::log(normal_cdf(z)), 1e-12);
  // Tail branch against the direct value where erfc is still representable.
  for (double z : {-6.0, -10.0, -20.0, -37.0})
    EXPECT_NEAR(log_normal_cdf(z), std::log(normal_cdf(z)), 1e-9 * std::abs(std::log(normal_cdf(z)))) << z;
  EXPECT_TRUE(std::isfinite(log_normal_cdf(-60.0)));
}

}  // namespace
}  // namespace reco::tuning
