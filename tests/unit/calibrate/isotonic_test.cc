// Isotonic regression: PAV on hand-worked examples, optimality against brute force,
// monotone predictions, both interpolation modes, JSON.
#include "reco/calibrate/isotonic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "reco/core/error.h"

namespace reco::calibrate {
namespace {

void expect_vector_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Isotonic, PavHandWorkedExamples) {
  expect_vector_near(pav_fit(std::vector<double>{1, 3, 2, 4}, std::vector<double>{1, 1, 1, 1}), {1, 2.5, 2.5, 4});
  expect_vector_near(pav_fit(std::vector<double>{3, 2, 1}, std::vector<double>{1, 1, 1}), {2, 2, 2});
  // 5 > 2 pools to 3.5, which still exceeds the next 2: pool all three to 3.
  expect_vector_near(pav_fit(std::vector<double>{1, 5, 2, 2, 6}, std::vector<double>{1, 1, 1, 1, 1}),
                     {1, 3, 3, 3, 6});
  // Weighted: (1*4 + 3*1) / 4.
  expect_vector_near(pav_fit(std::vector<double>{4, 1}, std::vector<double>{1, 3}), {1.75, 1.75});
  expect_vector_near(pav_fit(std::vector<double>{0, 1, 1, 2}, std::vector<double>{2, 1, 1, 1}), {0, 1, 1, 2});
  EXPECT_THROW(pav_fit(std::vector<double>{1}, std::vector<double>{0}), Error);
}

// Brute force: the isotonic optimum is piecewise constant on contiguous blocks, each at its
// weighted mean; enumerate every partition into contiguous blocks whose means do not
// decrease and keep the one with the least weighted squared error.
std::vector<double> brute_force(const std::vector<double>& y, const std::vector<double>& w) {
  const size_t n = y.size();
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> best_fit;
  for (uint32_t cuts = 0; cuts < (1u << (n - 1)); ++cuts) {
    std::vector<double> fit(n);
    size_t start = 0;
    double prev = -std::numeric_limits<double>::infinity(), sse = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) {
      if (i + 1 == n || (cuts >> i & 1u)) {
        double sw = 0, swy = 0;
        for (size_t j = start; j <= i; ++j) sw += w[j], swy += w[j] * y[j];
        const double m = swy / sw;
        if (m < prev - 1e-15) ok = false;
        for (size_t j = start; j <= i; ++j) fit[j] = m, sse += w[j] * (y[j] - m) * (y[j] - m);
        prev = m;
        start = i + 1;
      }
    }
    if (ok && sse < best) best = sse, best_fit = fit;
  }
  return best_fit;
}

TEST(Isotonic, PavMatchesBruteForceOnTinyInputs) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + trial % 8;
    std::vector<double> y(n), w(n);
    for (size_t i = 0; i < n; ++i) {
      y[i] = trial % 2 ? std::round(u(rng)) : u(rng);  // binary labels half the time
      w[i] = 0.1 + 2 * u(rng);
    }
    const auto fit = pav_fit(y, w);
    expect_vector_near(fit, brute_force(y, w), 1e-12);
    for (size_t i = 1; i < n; ++i) EXPECT_LE(fit[i - 1], fit[i]);
  }
}

TEST(Isotonic, TiesInXArePooled) {
  const std::vector<float> x{2, 1, 1}, y{0.25f, 1, 0};
  const auto iso = fit_isotonic(x, y, {}, IsotonicInterpolation::kEdges);
  // x=1 pools to 0.5 (weight 2), then violates x=2 (0.25): (0.5*2 + 0.25) / 3.
  EXPECT_NEAR(iso.predict(1), 1.25 / 3, 1e-12);
  EXPECT_NEAR(iso.predict(2), 1.25 / 3, 1e-12);
  EXPECT_EQ(iso.predict(1), iso.predict(2));
}

TEST(Isotonic, InterpolationModesOnHandWorkedExample) {
  const std::vector<float> x{0, 1, 2, 3}, y{0, 1, 0, 1};
  // Blocks: {0} -> 0, {1, 2} -> 0.5, {3} -> 1.
  const auto centres = fit_isotonic(x, y, {});
  expect_vector_near(centres.x(), {0, 1.5, 3});
  expect_vector_near(centres.values(), {0, 0.5, 1});
  EXPECT_DOUBLE_EQ(centres.predict(0.75), 0.25);
  EXPECT_DOUBLE_EQ(centres.predict(2.25), 0.75);
  EXPECT_DOUBLE_EQ(centres.predict(-1), 0.0);
  EXPECT_DOUBLE_EQ(centres.predict(7), 1.0);
  const auto edges = fit_isotonic(x, y, {}, IsotonicInterpolation::kEdges);
  expect_vector_near(edges.x(), {0, 1, 2, 3});
  EXPECT_DOUBLE_EQ(edges.predict(1.5), 0.5);
  EXPECT_DOUBLE_EQ(edges.predict(0.5), 0.25);
  EXPECT_DOUBLE_EQ(edges.predict(2.5), 0.75);
  // Weighted centre: weights 1 and 3 on x = 1, 2 give centre 1.75.
  const std::vector<float> w{1, 1, 3, 1};
  const auto weighted = fit_isotonic(x, y, w);
  EXPECT_DOUBLE_EQ(weighted.x()[1], 1.75);
  EXPECT_DOUBLE_EQ(weighted.values()[1], 0.25);
}

TEST(Isotonic, EdgesModeEqualsPavAtTrainingPointsAndPredictionsNeverDecrease) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> x, y, w;
  for (int i = 0; i < 2000; ++i) {
    const double s = std::round(u(rng) * 200) / 200;  // ties
    x.push_back(static_cast<float>(s));
    y.push_back(u(rng) < 0.2 + 0.6 * s ? 1.0f : 0.0f);
    w.push_back(static_cast<float>(0.5 + u(rng)));
  }
  for (auto mode : {IsotonicInterpolation::kCentres, IsotonicInterpolation::kEdges}) {
    const auto iso = fit_isotonic(x, y, w, mode);
    double prev = -1;
    for (int k = -10; k <= 1010; ++k) {
      const double v = iso.predict(k / 1000.0);
      EXPECT_GE(v, prev);
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
      prev = v;
    }
  }
  // Edges mode at the distinct x values equals PAV over the tie-pooled points.
  std::vector<double> ux, uy, uw;
  std::vector<size_t> order(x.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  for (size_t i : order) {
    if (ux.empty() || ux.back() != x[i]) ux.push_back(x[i]), uy.push_back(0), uw.push_back(0);
    uy.back() += w[i] * y[i];
    uw.back() += w[i];
  }
  for (size_t k = 0; k < uy.size(); ++k) uy[k] /= uw[k];
  const auto pav = pav_fit(uy, uw);
  const auto edges = fit_isotonic(x, y, w, IsotonicInterpolation::kEdges);
  for (size_t k = 0; k < ux.size(); ++k) EXPECT_NEAR(edges.predict(ux[k]), pav[k], 1e-9) << ux[k];
}

TEST(Isotonic, JsonRoundTripAndValidation) {
  const std::vector<float> x{0.1f, 0.4f, 0.35f, 0.8f, 0.9f}, y{0, 1, 0, 1, 1};
  for (auto mode : {IsotonicInterpolation::kCentres, IsotonicInterpolation::kEdges}) {
    const auto iso = fit_isotonic(x, y, {}, mode);
    const auto back = IsotonicRegression::from_json(nlohmann::json::parse(iso.to_json().dump()));
    EXPECT_EQ(back.interpolation(), mode);
    for (int k = 0; k <= 100; ++k) EXPECT_EQ(back.predict(k / 100.0), iso.predict(k / 100.0));
  }
  EXPECT_THROW(IsotonicRegression::from_json({{"x", {0.0, 1.0}}, {"y", {0.5, 0.2}}}), Error);  // decreasing
  EXPECT_THROW(IsotonicRegression::from_json({{"x", {1.0, 1.0}}, {"y", {0.1, 0.2}}}), Error);  // repeated x
  EXPECT_THROW(IsotonicRegression::from_json({{"x", {0.0}}}), Error);
  EXPECT_THROW(IsotonicRegression::from_json({{"x", {0.0}}, {"y", {0.0}}, {"interpolation", "cubic"}}), Error);
  const std::vector<float> nan_only{std::nanf("")}, one{0.5f};
  EXPECT_THROW(fit_isotonic(one, nan_only, {}), Error);
}

}  // namespace
}  // namespace reco::calibrate
