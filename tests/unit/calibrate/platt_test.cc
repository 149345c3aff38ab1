// Platt scaling: parameter recovery, derivatives of the objective, weights, JSON.
#include "reco/calibrate/platt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "reco/core/error.h"

namespace reco::calibrate {
namespace {

double sigmoid(double f) { return 1.0 / (1.0 + std::exp(-f)); }

struct Sample {
  std::vector<float> z, y;
};

// z ~ N(0, 2^2), y ~ Bernoulli(sigmoid(a z + b)).
Sample generate(double a, double b, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Sample s;
  for (int i = 0; i < n; ++i) {
    const double z = normal(rng);
    s.z.push_back(static_cast<float>(z));
    s.y.push_back(u(rng) < sigmoid(a * z + b) ? 1.0f : 0.0f);
  }
  return s;
}

TEST(Platt, RecoversGeneratingParameters) {
  for (const auto& [a, b] : std::vector<std::pair<double, double>>{{1.7, -0.8}, {0.4, 1.2}, {-1.0, 0.0}}) {
    const Sample s = generate(a, b, 200000, 11);
    PlattOptions raw;
    raw.smooth_targets = false;
    const PlattScaling fit = fit_platt(s.z, s.y, {}, raw);
    EXPECT_TRUE(fit.converged);
    EXPECT_NEAR(fit.a, a, 0.04) << "a=" << a << " b=" << b;
    EXPECT_NEAR(fit.b, b, 0.04) << "a=" << a << " b=" << b;
    // With n this large the smoothed targets barely move the optimum.
    const PlattScaling smooth = fit_platt(s.z, s.y, {});
    EXPECT_NEAR(smooth.a, fit.a, 1e-3);
    EXPECT_NEAR(smooth.b, fit.b, 1e-3);
    EXPECT_NE(smooth.a, fit.a);  // but they do change it
  }
}

TEST(Platt, FitsOnLogitOfProbabilities) {
  const Sample s = generate(0.6, 0.5, 200000, 12);
  std::vector<float> p;
  for (float z : s.z) p.push_back(static_cast<float>(sigmoid(z)));
  PlattOptions o;
  o.on_logit = true;
  o.smooth_targets = false;
  const PlattScaling fit = fit_platt(p, s.y, {}, o);
  EXPECT_TRUE(fit.on_logit);
  EXPECT_NEAR(fit.a, 0.6, 0.03);
  EXPECT_NEAR(fit.b, 0.5, 0.03);
  EXPECT_NEAR(fit.apply(0.5), sigmoid(fit.b), 1e-12);
  EXPECT_NEAR(fit.apply(sigmoid(2.0)), sigmoid(fit.a * 2.0 + fit.b), 1e-9);
}

TEST(Platt, ObjectiveDerivativesMatchFiniteDifferences) {
  const Sample s = generate(1.0, 0.3, 500, 13);
  std::vector<double> x(s.z.begin(), s.z.end()), t, w;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.1, 3.0);
  for (float y : s.y) {
    t.push_back(y > 0.5f ? 0.9 : 0.05);  // smoothed-style targets
    w.push_back(u(rng));
  }
  const double h = 1e-5;
  for (const auto& [a, b] : std::vector<std::pair<double, double>>{{0.0, 0.0}, {1.3, -0.7}, {-2.0, 1.5}}) {
    const PlattObjective o = platt_objective(x, t, w, a, b);
    const auto at = [&](double da, double db) { return platt_objective(x, t, w, a + da, b + db); };
    const double ga = (at(h, 0).loss - at(-h, 0).loss) / (2 * h);
    const double gb = (at(0, h).loss - at(0, -h).loss) / (2 * h);
    EXPECT_NEAR(o.grad[0], ga, 1e-5 * (1 + std::abs(ga)));
    EXPECT_NEAR(o.grad[1], gb, 1e-5 * (1 + std::abs(gb)));
    const double haa = (at(h, 0).grad[0] - at(-h, 0).grad[0]) / (2 * h);
    const double hab = (at(0, h).grad[0] - at(0, -h).grad[0]) / (2 * h);
    const double hba = (at(h, 0).grad[1] - at(-h, 0).grad[1]) / (2 * h);
    const double hbb = (at(0, h).grad[1] - at(0, -h).grad[1]) / (2 * h);
    EXPECT_NEAR(o.hess[0], haa, 1e-5 * (1 + std::abs(haa)));
    EXPECT_NEAR(o.hess[1], hab, 1e-5 * (1 + std::abs(hab)));
    EXPECT_NEAR(o.hess[1], hba, 1e-5 * (1 + std::abs(hba)));
    EXPECT_NEAR(o.hess[2], hbb, 1e-5 * (1 + std::abs(hbb)));
  }
}

TEST(Platt, GradientVanishesAtTheFit) {
  const Sample s = generate(0.8, -1.5, 5000, 14);
  const PlattScaling fit = fit_platt(s.z, s.y, {});
  double pos = 0, neg = 0;
  for (float y : s.y) (y > 0.5f ? pos : neg) += 1;
  std::vector<double> x(s.z.begin(), s.z.end()), t;
  for (float y : s.y) t.push_back(y > 0.5f ? (pos + 1) / (pos + 2) : 1 / (neg + 2));
  const PlattObjective o = platt_objective(x, t, {}, fit.a, fit.b);
  EXPECT_LT(std::abs(o.grad[0]), 1e-6);
  EXPECT_LT(std::abs(o.grad[1]), 1e-6);
  for (double da : {-0.01, 0.01}) {
    EXPECT_GT(platt_objective(x, t, {}, fit.a + da, fit.b).loss, o.loss);
    EXPECT_GT(platt_objective(x, t, {}, fit.a, fit.b + da).loss, o.loss);
  }
}

TEST(Platt, IntegerWeightsEqualDuplicatedRowsAndNaNLabelsAreSkipped) {
  const Sample s = generate(1.1, 0.2, 3000, 15);
  std::vector<float> z, y, w, zd, yd;
  for (size_t i = 0; i < s.z.size(); ++i) {
    const int k = 1 + static_cast<int>(i % 3);
    z.push_back(s.z[i]);
    y.push_back(s.y[i]);
    w.push_back(static_cast<float>(k));
    for (int j = 0; j < k; ++j) {
      zd.push_back(s.z[i]);
      yd.push_back(s.y[i]);
    }
  }
  z.push_back(100.0f);  // masked rows must not matter
  y.push_back(std::nanf(""));
  w.push_back(50.0f);
  const PlattScaling weighted = fit_platt(z, y, w);
  const PlattScaling dup = fit_platt(zd, yd, {});
  EXPECT_NEAR(weighted.a, dup.a, 1e-9);
  EXPECT_NEAR(weighted.b, dup.b, 1e-9);
}

TEST(Platt, JsonRoundTripAndErrors) {
  PlattScaling s;
  s.a = 1.25;
  s.b = -0.375;
  s.on_logit = true;
  const PlattScaling back = PlattScaling::from_json(nlohmann::json::parse(s.to_json().dump()));
  EXPECT_EQ(back.a, s.a);
  EXPECT_EQ(back.b, s.b);
  EXPECT_TRUE(back.on_logit);
  for (float p : {0.0f, 0.01f, 0.5f, 0.93f, 1.0f}) EXPECT_EQ(back.apply(p), s.apply(p));
  EXPECT_THROW(PlattScaling::from_json({{"a", 1.0}}), Error);
  EXPECT_THROW(PlattScaling::from_json({{"a", "x"}, {"b", 0.0}}), Error);
  const std::vector<float> z{0.1f, 0.2f}, ones{1.0f, 1.0f}, bad{1.0f, 0.5f};
  EXPECT_THROW(fit_platt(z, ones, {}), Error);  // one class only
  EXPECT_THROW(fit_platt(z, bad, {}), Error);   // non-binary label
}

}  // namespace
}  // namespace reco::calibrate
