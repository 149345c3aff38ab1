// MetricSet: name parsing, shared accumulation, reports, merge.
#include "reco/eval/metric_set.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reco/core/error.h"
#include "reco/eval/pr_auc.h"
#include "reco/eval/roc_auc.h"

namespace reco::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(MetricRegistry, ParsesCutOffsAndVariants) {
  EXPECT_EQ(parse_metric("ndcg@10").k, 10u);
  EXPECT_EQ(parse_metric("ndcg@10").gain, Gain::kExponential);
  EXPECT_EQ(parse_metric("ndcg").k, kAllPositions);
  EXPECT_EQ(parse_metric("ndcg_linear@3").gain, Gain::kLinear);
  EXPECT_EQ(parse_metric("gauc_clicks").weighting, GaucWeighting::kClicks);
  EXPECT_EQ(parse_metric("recall@20").kind, MetricKind::kRecall);
  EXPECT_TRUE(parse_metric("hit_rate@1").grouped());
  EXPECT_FALSE(parse_metric("auc").grouped());
}

TEST(MetricRegistry, UnknownNamesListTheValidOnes) {
  try {
    parse_metric("aucc");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(e.message().find("aucc"), std::string::npos);
    EXPECT_NE(e.message().find("pr_auc"), std::string::npos);
    EXPECT_NE(e.message().find("ndcg[@K]"), std::string::npos);
  }
  for (const char* bad : {"recall", "auc@5", "ndcg@0", "ndcg@", "ndcg@x", "ndcg@10x", "hit_rate@-1", ""}) {
    EXPECT_THROW(parse_metric(bad), Error) << bad;
  }
  EXPECT_THROW(MetricSet({"auc", "bogus"}), Error);
  EXPECT_THROW(MetricSet(std::vector<std::string>{}), Error);
}

TEST(MetricSet, MatchesIndividualAccumulators) {
  MetricSet set({"auc", "pr_auc", "logloss", "brier", "accuracy", "calibration", "mse", "auc"});
  EXPECT_EQ(set.specs().size(), 7u);  // duplicate reported once
  EXPECT_FALSE(set.grouped());
  RocAuc auc;
  PrAuc ap;
  const double s[] = {0.1, 0.4, 0.35, 0.8, 0.6};
  const double y[] = {0, 0, 1, 1, kNaN};
  for (int i = 0; i < 5; ++i) {
    set.add(s[i], y[i]);
    auc.add(s[i], y[i]);
    ap.add(s[i], y[i]);
  }
  const auto v = set.values();
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v.at("auc"), auc.value());
  EXPECT_EQ(v.at("pr_auc"), ap.value());
  // brier: (0.01 + 0.16 + 0.4225 + 0.04) / 4
  EXPECT_NEAR(v.at("brier"), (0.01 + 0.16 + 0.4225 + 0.04) / 4, 1e-15);
  EXPECT_NEAR(v.at("mse"), v.at("brier"), 1e-15);
  // accuracy: 0.1 -> 0 ok, 0.4 -> 0 ok, 0.35 -> 0 wrong, 0.8 -> 1 ok
  EXPECT_NEAR(v.at("accuracy"), 0.75, 1e-15);
  EXPECT_NEAR(v.at("calibration"), (0.1 + 0.4 + 0.35 + 0.8) / 2, 1e-15);
  EXPECT_EQ(set.count(), 4u);
  EXPECT_EQ(set.masked(), 1u);
}

TEST(MetricSet, GroupedNeedsGroupIds) {
  MetricSet set({"auc", "ndcg@2", "gauc", "recall@1"});
  EXPECT_TRUE(set.grouped());
  EXPECT_THROW(set.add(0.5, 1), Error);
  set.add_grouped(1, 0.9, 1);
  set.add_grouped(1, 0.1, 0);
  set.add_grouped(2, 0.8, 0);
  set.add_grouped(2, 0.2, 1);
  set.add_grouped(3, 0.5, 0);  // group 3: one class, no gain
  const auto v = set.values();
  // auc over all rows: positives {0.9, 0.2}, negatives {0.1, 0.8, 0.5}: 0.9 beats 3, 0.2 beats 1 -> 4/6
  EXPECT_NEAR(v.at("auc"), 4.0 / 6.0, 1e-15);
  EXPECT_NEAR(v.at("gauc"), (2 * 1.0 + 2 * 0.0) / 4, 1e-15);
  EXPECT_NEAR(v.at("recall@1"), 0.5, 1e-15);
  // ndcg@2 (exponential gain, binary labels): group 1 = 1; group 2 = (1/log2 3) / 1
  EXPECT_NEAR(v.at("ndcg@2"), (1 + 1 / std::log2(3.0)) / 2, 1e-15);
  const nlohmann::json j = set.to_json();
  EXPECT_EQ(j["count"], 5);
  EXPECT_EQ(j["groups"]["gauc"]["skipped"], 1);
  EXPECT_EQ(j["groups"]["ndcg@2"]["used"], 2);
  EXPECT_NEAR(j["metrics"]["auc"].get<double>(), 4.0 / 6.0, 1e-15);
}

TEST(MetricSet, NaNBecomesNullInJson) {
  MetricSet set({"auc", "logloss"});
  set.add(0.3, 1);
  set.add(0.6, 1);
  const auto j = set.to_json();
  EXPECT_TRUE(j["metrics"]["auc"].is_null());
  EXPECT_TRUE(j["metrics"]["logloss"].is_number());
  EXPECT_TRUE(std::isnan(set.values().at("auc")));
  EXPECT_FALSE(j.contains("groups"));
}

TEST(MetricSet, MergeEqualsOnePass) {
  const std::vector<std::string> names = {"auc", "logloss", "ndcg@3", "gauc"};
  MetricSet all(names), a(names), b(names);
  for (int i = 0; i < 200; ++i) {
    const uint64_t g = i % 13;
    const double s = ((i * 37) % 101) / 100.0;
    const double y = (i * 11) % 7 < 3 ? 1.0 : 0.0;
    all.add_grouped(g, s, y);
    (i % 3 == 0 ? a : b).add_grouped(g, s, y);
  }
  a.merge(b);
  const auto va = a.values();
  const auto vall = all.values();
  for (const auto& n : names) EXPECT_NEAR(va.at(n), vall.at(n), 1e-14) << n;
  EXPECT_EQ(a.count(), all.count());
  MetricSet other({"auc"});
  EXPECT_THROW(a.merge(other), Error);
}

}  // namespace
}  // namespace reco::eval
