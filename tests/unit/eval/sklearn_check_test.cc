// Cross-check against scikit-learn: random data with ties, weights, masked rows and groups is
// written to a CSV, tests/unit/eval/sklearn_check.py computes reference values with
// Debian's /usr/bin/python3 + python3-sklearn, and every reco metric must agree.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "reco/eval/metric_set.h"
#include "testing/testing.h"

namespace reco::eval {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

struct Row {
  uint64_t group;
  double score, label, relevance, weight;
};

std::vector<Row> make_rows() {
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Row> rows;
  for (int i = 0; i < 2000; ++i) {
    Row r;
    r.group = rng() % 120;
    r.score = std::round(u(rng) * 100) / 100;  // 101 distinct values: many ties, 0 and 1 included
    const double p = 0.15 + 0.7 * r.score;      // labels correlated with the score
    r.label = u(rng) < 0.03 ? std::nan("") : (u(rng) < p ? 1.0 : 0.0);
    r.relevance = std::isnan(r.label) ? r.label : std::floor(u(rng) * 4 * r.score);  // graded 0..3
    r.weight = 0.25 * static_cast<double>(1 + rng() % 12);  // 0.25 .. 3
    rows.push_back(r);
  }
  return rows;
}

bool sklearn_available(std::string* why) {
  const auto [code, out] = testing::run_command(std::string(kPython) + " -c 'import sklearn, numpy'");
  *why = out;
  return code == 0;
}

TEST(SklearnCrossCheck, AllMetricsAgree) {
  std::string why;
  if (!sklearn_available(&why)) {
    GTEST_SKIP() << "python3-sklearn not installed: apt-get install python3-sklearn (" << kPython << ": " << why
                 << ")";
  }
  const auto rows = make_rows();
  testing::TempDir dir;
  std::ostringstream csv;
  csv.precision(17);
  csv << "group,score,label,relevance,weight\n";
  for (const auto& r : rows) {
    csv << r.group << ',' << r.score << ',' << r.label << ',' << r.relevance << ',' << r.weight << '\n';
  }
  const std::string path = dir.file("rows.csv");
  testing::write_file(path, csv.str());
  const auto [code, out] =
      testing::run_command(std::string(kPython) + " " + RECO_EVAL_SKLEARN_SCRIPT + " " + path + " 1,5,10");
  ASSERT_EQ(code, 0) << out;
  const auto ref = nlohmann::json::parse(out.substr(out.find('{')));

  MetricSet binary({"auc", "pr_auc", "logloss", "brier", "accuracy", "calibration", "mse", "gauc"});
  MetricSet graded({"ndcg_linear@1", "ndcg_linear@5", "ndcg_linear@10", "ndcg_linear"});
  for (const auto& r : rows) {
    binary.add_grouped(r.group, r.score, r.label, r.weight);
    graded.add_grouped(r.group, r.score, r.relevance, r.weight);
  }
  EXPECT_EQ(binary.count(), ref["rows"].get<double>());
  EXPECT_GT(binary.masked(), 0u);
  const auto v = binary.values();
  for (const char* name : {"auc", "pr_auc", "logloss", "brier", "accuracy", "calibration", "mse", "gauc"}) {
    EXPECT_NEAR(v.at(name), ref[name].get<double>(), 1e-9) << name;
  }
  const auto g = graded.values();
  const auto gj = graded.to_json();
  for (const char* k : {"@1", "@5", "@10", ""}) {
    const std::string name = std::string("ndcg_linear") + k;
    EXPECT_NEAR(g.at(name), ref[name].get<double>(), 1e-9) << name;
    EXPECT_EQ(gj["groups"][name]["used"].get<double>(), ref[std::string("ndcg_groups") + k].get<double>()) << name;
  }
  EXPECT_EQ(binary.to_json()["groups"]["gauc"]["used"].get<double>(), ref["gauc_groups"].get<double>());
  // Sanity on the data itself, so a degenerate generator cannot pass silently.
  EXPECT_GT(v.at("auc"), 0.6);
  EXPECT_LT(v.at("auc"), 0.95);
}

}  // namespace
}  // namespace reco::eval
