// Calibrator: fit on a downsampled validation split, apply, JSON round trip.
#include "reco/calibrate/calibrator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "reco/calibrate/calibration_report.h"
#include "reco/core/error.h"

namespace reco::calibrate {
namespace {

double sigmoid(double f) { return 1.0 / (1.0 + std::exp(-f)); }
double logit(double p) { return std::log(p / (1 - p)); }

struct Rows {
  std::vector<float> raw, labels;
};

// True rate p(s) = 0.03 + 0.25 s^2, s ~ U(0, 1). The head is underconfident
// (q = sigmoid(0.6 logit p)) and was trained on negatives kept at `alpha`, so it outputs
// q_ds = q / (q + (1 - q) alpha). With downsample = true the negatives of these rows are
// kept at alpha too (a validation split of the same dataset).
Rows make_rows(int n, double alpha, bool downsample, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Rows r;
  while (static_cast<int>(r.raw.size()) < n) {
    const double s = u(rng);
    const double p = 0.03 + 0.25 * s * s;
    const double q = sigmoid(0.6 * logit(p));
    const float y = u(rng) < p ? 1.0f : 0.0f;
    if (downsample && y == 0.0f && u(rng) >= alpha) continue;
    r.raw.push_back(static_cast<float>(q / (q + (1 - q) * alpha)));
    r.labels.push_back(y);
  }
  return r;
}

double ece_of(const Calibrator& c, const Rows& test) {
  std::vector<float> p = test.raw;
  c.apply(p);
  return make_calibration_report("h", p, test.labels, {}).ece;
}

TEST(Calibrator, FitOnDownsampledValidationCalibratesTheOriginalDistribution) {
  const double alpha = 0.2;
  const Rows validation = make_rows(100000, alpha, true, 21);
  const Rows test = make_rows(100000, alpha, false, 22);
  Calibrator only_alpha;
  only_alpha.alpha = alpha;
  Calibrator nothing;
  const double ece_raw = ece_of(nothing, test);
  const double ece_alpha = ece_of(only_alpha, test);
  EXPECT_LT(ece_alpha, ece_raw);   // the correction alone helps a lot ...
  EXPECT_GT(ece_alpha, 0.01);      // ... but the head is still underconfident
  for (auto kind : {CalibratorKind::kPlatt, CalibratorKind::kIsotonic}) {
    const Calibrator c = fit_calibrator(kind, validation.raw, validation.labels, {}, alpha);
    EXPECT_EQ(c.alpha, alpha);
    EXPECT_LT(ece_of(c, test), 0.006) << calibrator_kind_name(kind);
    // Forgetting that the validation labels were downsampled overestimates every rate.
    CalibratorFitOptions wrong;
    wrong.validation_downsampled = false;
    const Calibrator bad = fit_calibrator(kind, validation.raw, validation.labels, {}, alpha, wrong);
    std::vector<float> p = test.raw;
    bad.apply(p);
    EXPECT_GT(make_calibration_report("h", p, test.labels, {}).calibration_ratio, 1.5) << calibrator_kind_name(kind);
  }
  // Platt on logit(p) is exact here: logit(p1) = 0.6 logit(p) -> a = 1 / 0.6, b = 0.
  const Calibrator platt = fit_calibrator(CalibratorKind::kPlatt, validation.raw, validation.labels, {}, alpha);
  EXPECT_NEAR(platt.platt.a, 1 / 0.6, 0.05);
  EXPECT_NEAR(platt.platt.b, 0.0, 0.06);
}

TEST(Calibrator, JsonRoundTripAppliesIdentically) {
  const Rows validation = make_rows(5000, 0.5, true, 23);
  std::vector<float> grid;
  for (int k = 0; k <= 1000; ++k) grid.push_back(k / 1000.0f);
  for (auto kind : {CalibratorKind::kNone, CalibratorKind::kPlatt, CalibratorKind::kIsotonic}) {
    const Calibrator c = fit_calibrator(kind, validation.raw, validation.labels, {}, 0.5);
    const nlohmann::json j = c.to_json();
    EXPECT_EQ(j["kind"], calibrator_kind_name(kind));
    const Calibrator back = Calibrator::from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.alpha, 0.5);
    std::vector<float> a = grid, b = grid;
    c.apply(a);
    back.apply(b);
    for (size_t i = 0; i < grid.size(); ++i) {
      EXPECT_EQ(a[i], b[i]) << calibrator_kind_name(kind) << " at " << grid[i];
      EXPECT_EQ(a[i], c.apply(grid[i]));
    }
    if (kind != CalibratorKind::kNone) {
      Calibrator alpha_only;
      alpha_only.alpha = 0.5;
      EXPECT_NE(a[500], alpha_only.apply(0.5f));  // the post-hoc map does something
    }
  }
}

TEST(Calibrator, KindsAndErrors) {
  EXPECT_EQ(parse_calibrator_kind("isotonic"), CalibratorKind::kIsotonic);
  EXPECT_THROW(parse_calibrator_kind("beta"), Error);
  EXPECT_THROW(Calibrator::from_json({{"kind", "platt"}, {"alpha", 0.5}}), Error);  // no params
  EXPECT_THROW(Calibrator::from_json({{"kind", "none"}, {"alpha", 0.0}}), Error);
  EXPECT_THROW(Calibrator::from_json({{"kind", "cubic"}}), Error);
  EXPECT_THROW(Calibrator::from_json(nlohmann::json::array()), Error);
  const Calibrator none = Calibrator::from_json({{"kind", "none"}});
  EXPECT_EQ(none.alpha, 1.0);
  EXPECT_EQ(none.apply(0.3f), 0.3f);
  EXPECT_THROW(none.apply(1.5f), Error);
  const std::vector<float> p{0.2f, 0.8f}, y{0, 1};
  EXPECT_THROW(fit_calibrator(CalibratorKind::kPlatt, p, y, {}, 0.0), Error);
}

}  // namespace
}  // namespace reco::calibrate
