// Reliability diagram bins / ECE and the per-head calibration report, on hand-computed data.
#include "reco/calibrate/reliability.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "reco/calibrate/calibration_report.h"
#include "reco/core/error.h"

namespace reco::calibrate {
namespace {

const float kNaN = std::nanf("");

TEST(Reliability, UniformBinsHandComputed) {
  const std::vector<float> p{0.1f, 0.2f, 0.3f, 0.6f, 0.9f, 1.0f}, y{0, 1, 0, kNaN, 1, 1}, w{1, 1, 2, 1, 1, 3};
  const auto d = ReliabilityDiagram::build(p, y, w, {4, BinScheme::kUniform});
  ASSERT_EQ(d.bins().size(), 4u);
  EXPECT_EQ(d.count(), 5u);
  EXPECT_EQ(d.masked(), 1u);
  EXPECT_DOUBLE_EQ(d.weight(), 8.0);
  const auto& b = d.bins();
  EXPECT_EQ(b[0].count, 2u);
  EXPECT_DOUBLE_EQ(b[0].lower, 0.0);
  EXPECT_DOUBLE_EQ(b[0].upper, 0.25);
  EXPECT_NEAR(b[0].mean_prediction, 0.15, 1e-7);
  EXPECT_NEAR(b[0].fraction_positive, 0.5, 1e-12);
  EXPECT_EQ(b[1].count, 1u);
  EXPECT_DOUBLE_EQ(b[1].weight, 2.0);
  EXPECT_NEAR(b[1].mean_prediction, 0.3, 1e-7);
  EXPECT_EQ(b[1].fraction_positive, 0.0);
  EXPECT_EQ(b[2].count, 0u);  // only the masked row fell here
  EXPECT_TRUE(std::isnan(b[2].mean_prediction));
  EXPECT_EQ(b[3].count, 2u);  // p = 1 belongs to the last bin
  EXPECT_NEAR(b[3].mean_prediction, (0.9 + 3 * 1.0) / 4, 1e-7);
  EXPECT_DOUBLE_EQ(b[3].fraction_positive, 1.0);
  // ECE = 2/8 * 0.35 + 2/8 * 0.3 + 4/8 * 0.025; MCE = 0.35.
  EXPECT_NEAR(d.expected_calibration_error(), 0.175, 1e-7);
  EXPECT_NEAR(d.max_calibration_error(), 0.35, 1e-7);
  const auto j = d.to_json();
  EXPECT_EQ(j["bins"].size(), 4u);
  EXPECT_TRUE(j["bins"][2]["mean_prediction"].is_null());
  EXPECT_EQ(j["masked"], 1);
  EXPECT_NEAR(j["ece"].get<double>(), 0.175, 1e-7);
}

TEST(Reliability, DefaultIsTenUniformBins) {
  const std::vector<float> p{0.05f, 0.15f, 0.95f}, y{0, 0, 1};
  const auto d = ReliabilityDiagram::build(p, y, {});
  ASSERT_EQ(d.bins().size(), 10u);
  EXPECT_EQ(d.bins()[0].count, 1u);
  EXPECT_EQ(d.bins()[1].count, 1u);
  EXPECT_EQ(d.bins()[9].count, 1u);
  EXPECT_NEAR(d.expected_calibration_error(), (0.05 + 0.15 + 0.05) / 3, 1e-7);
}

TEST(Reliability, QuantileBins) {
  const std::vector<float> p{0.8f, 0.1f, 0.3f, 0.2f, 0.5f, 0.4f, 0.7f, 0.6f}, y{1, 0, 0, 0, 1, 0, 1, 1};
  const auto d = ReliabilityDiagram::build(p, y, {}, {4, BinScheme::kQuantile});
  ASSERT_EQ(d.bins().size(), 4u);
  const double lower[] = {0.0, 0.3, 0.5, 0.7};
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(d.bins()[k].count, 2u) << k;
    EXPECT_NEAR(d.bins()[k].lower, lower[k], 1e-7) << k;
  }
  EXPECT_NEAR(d.bins()[0].mean_prediction, 0.15, 1e-7);
  EXPECT_NEAR(d.bins()[3].fraction_positive, 1.0, 1e-12);
  // |0.15-0| + |0.35-0| + |0.55-1| + |0.75-1|, each bin a quarter of the weight.
  EXPECT_NEAR(d.expected_calibration_error(), (0.15 + 0.35 + 0.45 + 0.25) / 4, 1e-7);
  // Heavy ties: equal predictions never straddle a bin edge.
  const std::vector<float> tied(100, 0.5f), ty(100, 1.0f);
  const auto t = ReliabilityDiagram::build(tied, ty, {}, {10, BinScheme::kQuantile});
  uint64_t nonempty = 0, total = 0;
  for (const auto& b : t.bins()) nonempty += b.count > 0, total += b.count;
  EXPECT_EQ(nonempty, 1u);
  EXPECT_EQ(total, 100u);
}

TEST(Reliability, EmptyAndInvalidInputs) {
  const std::vector<float> p{0.5f}, masked{kNaN};
  const auto d = ReliabilityDiagram::build(p, masked, {});
  EXPECT_EQ(d.count(), 0u);
  EXPECT_EQ(d.masked(), 1u);
  EXPECT_TRUE(std::isnan(d.expected_calibration_error()));
  EXPECT_TRUE(d.to_json()["ece"].is_null());
  const std::vector<float> bad{1.5f}, y{1.0f};
  EXPECT_THROW(ReliabilityDiagram::build(bad, y, {}), Error);
  EXPECT_THROW(ReliabilityDiagram::build(p, y, {}, {0, BinScheme::kUniform}), Error);
  const std::vector<float> two{0.1f, 0.2f};
  EXPECT_THROW(ReliabilityDiagram::build(two, y, {}), Error);
  EXPECT_EQ(parse_bin_scheme("quantile"), BinScheme::kQuantile);
  EXPECT_THROW(parse_bin_scheme("log"), Error);
}

TEST(CalibrationReport, HandComputed) {
  const std::vector<float> p{0.1f, 0.2f, 0.3f, 0.6f, 0.9f, 1.0f}, y{0, 1, 0, kNaN, 1, 1}, w{1, 1, 2, 1, 1, 3};
  const auto r = make_calibration_report("click", p, y, w, {4, BinScheme::kUniform});
  EXPECT_EQ(r.head, "click");
  EXPECT_EQ(r.count, 5u);
  EXPECT_EQ(r.masked, 1u);
  EXPECT_EQ(r.positives, 3u);
  EXPECT_DOUBLE_EQ(r.positive_weight, 5.0);
  EXPECT_DOUBLE_EQ(r.weight, 8.0);
  double brier = 0, ll = 0, sp = 0;
  const double pd[] = {0.1, 0.2, 0.3, 0.9, 1.0}, yd[] = {0, 1, 0, 1, 1}, wd[] = {1, 1, 2, 1, 3};
  for (int i = 0; i < 5; ++i) {
    const double q = std::min(std::max(pd[i], 1e-7), 1 - 1e-7);
    brier += wd[i] * (pd[i] - yd[i]) * (pd[i] - yd[i]);
    ll -= wd[i] * (yd[i] * std::log(q) + (1 - yd[i]) * std::log(1 - q));
    sp += wd[i] * pd[i];
  }
  EXPECT_NEAR(r.brier, brier / 8, 1e-7);
  EXPECT_NEAR(r.log_loss, ll / 8, 1e-6);
  EXPECT_NEAR(r.calibration_ratio, sp / 5, 1e-7);
  EXPECT_NEAR(r.mean_prediction, sp / 8, 1e-7);
  EXPECT_NEAR(r.base_rate, 5.0 / 8, 1e-12);
  EXPECT_NEAR(r.ece, 0.175, 1e-7);
  EXPECT_NEAR(r.mce, 0.35, 1e-7);
  const auto j = r.to_json();
  EXPECT_EQ(j["head"], "click");
  EXPECT_NEAR(j["brier"].get<double>(), r.brier, 1e-15);
  EXPECT_EQ(j["reliability"]["bins"].size(), 4u);
  EXPECT_EQ(j["positives"], 3);
}

}  // namespace
}  // namespace reco::calibrate
