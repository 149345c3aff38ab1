// Cross-check against scikit-learn: random scores with ties, weights and masked rows are
// written to a CSV; tests/unit/calibrate/sklearn_check.py fits scikit-learn's
// IsotonicRegression, an unpenalized LogisticRegression (= Platt without target smoothing)
// and calibration_curve with Debian's /usr/bin/python3 + python3-sklearn; ours must agree.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "reco/calibrate/isotonic.h"
#include "reco/calibrate/platt.h"
#include "reco/calibrate/reliability.h"
#include "testing/testing.h"

namespace reco::calibrate {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

bool sklearn_available(std::string* why) {
  const auto [code, out] = testing::run_command(std::string(kPython) + " -c 'import sklearn, numpy'");
  *why = out;
  return code == 0;
}

TEST(SklearnCrossCheck, IsotonicPlattAndReliabilityAgree) {
  std::string why;
  if (!sklearn_available(&why)) {
    GTEST_SKIP() << "python3-sklearn not installed: apt-get install python3-sklearn (" << kPython << ": " << why
                 << ")";
  }
  std::mt19937_64 rng(20240612);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.5);
  std::vector<float> score, prob, label, weight;
  for (int i = 0; i < 3000; ++i) {
    const double z = std::round(normal(rng) * 50) / 50;  // ties
    score.push_back(static_cast<float>(z));
    prob.push_back(static_cast<float>(1 / (1 + std::exp(-(0.7 * z + 0.1 * normal(rng))))));
    const double p = 1 / (1 + std::exp(-(1.3 * z - 0.4)));
    label.push_back(u(rng) < 0.02 ? std::nanf("") : (u(rng) < p ? 1.0f : 0.0f));
    weight.push_back(static_cast<float>(0.25 * (1 + rng() % 8)));
  }
  testing::TempDir dir;
  std::ostringstream csv, grid_csv;
  csv.precision(17);
  grid_csv.precision(17);
  csv << "score,prob,label,weight\n";
  for (size_t i = 0; i < score.size(); ++i) {
    csv << static_cast<double>(score[i]) << ',' << static_cast<double>(prob[i]) << ',' << label[i] << ','
        << static_cast<double>(weight[i]) << '\n';
  }
  std::vector<double> grid;
  grid_csv << "x\n";
  for (int k = -130; k <= 130; ++k) {
    grid.push_back(k / 20.0 + 0.013);
    grid_csv << grid.back() << '\n';
  }
  for (float s : score) grid.push_back(s), grid_csv << static_cast<double>(s) << '\n';  // training points
  testing::write_file(dir.file("rows.csv"), csv.str());
  testing::write_file(dir.file("grid.csv"), grid_csv.str());
  const auto [code, out] = testing::run_command(std::string(kPython) + " " + RECO_CALIBRATE_SKLEARN_SCRIPT + " " +
                                                dir.file("rows.csv") + " " + dir.file("grid.csv"));
  ASSERT_EQ(code, 0) << out;
  const auto ref = nlohmann::json::parse(out.substr(out.find('{')));

  const auto iso = fit_isotonic(score, label, weight, IsotonicInterpolation::kEdges);
  const auto& iso_ref = ref["iso_grid"];
  ASSERT_EQ(iso_ref.size(), grid.size());
  for (size_t k = 0; k < grid.size(); ++k) {
    EXPECT_NEAR(iso.predict(grid[k]), iso_ref[k].get<double>(), 1e-9) << "x=" << grid[k];
  }

  PlattOptions raw;
  raw.smooth_targets = false;
  const PlattScaling platt = fit_platt(score, label, weight, raw);
  EXPECT_TRUE(platt.converged);
  EXPECT_NEAR(platt.a, ref["platt_a"].get<double>(), 1e-6);
  EXPECT_NEAR(platt.b, ref["platt_b"].get<double>(), 1e-6);

  const auto d = ReliabilityDiagram::build(prob, label, {}, {10, BinScheme::kUniform});
  std::vector<const ReliabilityBin*> used;
  for (const auto& b : d.bins()) {
    if (b.count > 0) used.push_back(&b);
  }
  ASSERT_EQ(used.size(), ref["curve_true"].size());
  for (size_t k = 0; k < used.size(); ++k) {
    EXPECT_EQ(used[k]->count, ref["curve_count"][k].get<uint64_t>()) << k;
    EXPECT_NEAR(used[k]->fraction_positive, ref["curve_true"][k].get<double>(), 1e-12) << k;
    EXPECT_NEAR(used[k]->mean_prediction, ref["curve_pred"][k].get<double>(), 1e-9) << k;
  }
  // The data must exercise the fit: a non-trivial isotonic map and a clearly non-zero slope.
  EXPECT_GT(iso.x().size(), 10u);
  EXPECT_GT(platt.a, 1.0);
  EXPECT_EQ(d.count(), ref["rows"].get<uint64_t>());
}

}  // namespace
}  // namespace reco::calibrate
