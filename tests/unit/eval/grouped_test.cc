// Hand-computed values for the grouped metrics: NDCG@k, GAUC, Recall@k, HitRate@k.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "reco/core/error.h"
#include "reco/eval/gauc.h"
#include "reco/eval/hit_rate_at_k.h"
#include "reco/eval/ndcg.h"
#include "reco/eval/recall_at_k.h"

namespace reco::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kLog3 = std::log2(3.0);  // position 1 discount is 1 / log2(3) = 0.630930

TEST(Ndcg, LinearAndExponentialGain) {
  // scores 3, 2, 1 with labels 0, 1, 2.
  // linear: DCG = 0/1 + 1/log2(3) + 2/log2(4) = 1.630930; IDCG = 2/1 + 1/log2(3) + 0 = 2.630930
  NdcgAtK lin(kAllPositions, Gain::kLinear);
  NdcgAtK exp(kAllPositions, Gain::kExponential);
  for (auto* m : {&lin, &exp}) {
    m->add(7, 3.0, 0);
    m->add(7, 2.0, 1);
    m->add(7, 1.0, 2);
  }
  EXPECT_NEAR(lin.value(), (1 / kLog3 + 1.0) / (2.0 + 1 / kLog3), 1e-15);
  // exponential gains 0, 1, 3: DCG = 1/log2(3) + 3/2; IDCG = 3 + 1/log2(3)
  EXPECT_NEAR(exp.value(), (1 / kLog3 + 1.5) / (3.0 + 1 / kLog3), 1e-15);
  // @2 linear: DCG = 1/log2(3); IDCG = 2 + 1/log2(3)
  NdcgAtK at2(2, Gain::kLinear);
  at2.add(7, 3.0, 0);
  at2.add(7, 2.0, 1);
  at2.add(7, 1.0, 2);
  EXPECT_NEAR(at2.value(), (1 / kLog3) / (2.0 + 1 / kLog3), 1e-15);
}

TEST(Ndcg, TiesAreAveraged) {
  // scores 1, 1, 0 with labels 1, 0, 0: the tied block at positions 0-1 has mean gain 1/2.
  // @1: DCG = 1/2 * 1 = 0.5, IDCG = 1 -> 0.5
  // all: DCG = 1/2 * (1 + 1/log2(3)) = 0.815465, IDCG = 1
  NdcgAtK at1(1, Gain::kLinear), all(kAllPositions, Gain::kLinear);
  for (auto* m : {&at1, &all}) {
    m->add(1, 1.0, 1);
    m->add(1, 1.0, 0);
    m->add(1, 0.0, 0);
  }
  EXPECT_NEAR(at1.value(), 0.5, 1e-15);
  EXPECT_NEAR(all.value(), 0.5 * (1 + 1 / kLog3), 1e-15);
}

TEST(Ndcg, MeanOverGroupsSkipsZeroIdcg) {
  NdcgAtK m(kAllPositions, Gain::kLinear);
  m.add(1, 0.9, 1);  // group 1: perfect, NDCG 1
  m.add(1, 0.1, 0);
  m.add(2, 0.9, 0);  // group 2: relevant row last, NDCG = (1/log2 3) / 1
  m.add(2, 0.1, 1);
  m.add(3, 0.5, 0);  // group 3: no gain, skipped
  m.add(3, 0.4, 0);
  m.add(3, 0.4, kNaN);  // masked
  const GroupedResult r = m.result();
  EXPECT_NEAR(r.value, (1.0 + 1 / kLog3) / 2, 1e-15);
  EXPECT_EQ(r.groups_used, 2u);
  EXPECT_EQ(r.groups_skipped, 1u);
  EXPECT_EQ(m.count(), 6u);
  EXPECT_EQ(m.masked(), 1u);
  NdcgAtK negative;
  negative.add(1, 0.5, -1);
  EXPECT_THROW(negative.value(), Error);
  EXPECT_THROW(NdcgAtK(0), Error);
  EXPECT_TRUE(std::isnan(NdcgAtK().value()));
}

void add_gauc_rows(Gauc& m) {
  // group 1: y 1,0,0 ranked perfectly -> AUC 1 (3 impressions, 1 click)
  m.add(1, 0.9, 1);
  m.add(1, 0.5, 0);
  m.add(1, 0.1, 0);
  // group 2: positives 0.6, 0.4; negatives 0.8, 0.2 -> 2 of 4 pairs -> AUC 0.5 (4 imp, 2 clicks)
  m.add(2, 0.8, 0);
  m.add(2, 0.6, 1);
  m.add(2, 0.4, 1);
  m.add(2, 0.2, 0);
  // group 3: one class, skipped
  m.add(3, 0.3, 0);
  m.add(3, 0.7, 0);
}

TEST(Gauc, ImpressionAndClickWeighting) {
  Gauc by_impressions;
  add_gauc_rows(by_impressions);
  // (3 * 1 + 4 * 0.5) / 7
  EXPECT_NEAR(by_impressions.value(), 5.0 / 7.0, 1e-15);
  EXPECT_EQ(by_impressions.result().groups_skipped, 1u);
  EXPECT_EQ(by_impressions.result().groups_used, 2u);
  Gauc by_clicks(GaucWeighting::kClicks);
  add_gauc_rows(by_clicks);
  // (1 * 1 + 2 * 0.5) / 3
  EXPECT_NEAR(by_clicks.value(), 2.0 / 3.0, 1e-15);
  EXPECT_THROW(by_clicks.merge(by_impressions), Error);
  EXPECT_THROW(by_clicks.add(1, 0.5, 2), Error);
}

TEST(Gauc, SampleWeightsEnterGroupAucAndGroupWeight) {
  Gauc m;
  // group 1: negatives 0.1 (w 1), 0.4 (w 3); positives 0.35 (w 2), 0.8 (w 1) -> AUC 0.5
  // (see RocAuc.Weighted), impressions 7; group 2: AUC 1 with impressions 1 + 2 = 3
  m.add(1, 0.1, 0, 1);
  m.add(1, 0.4, 0, 3);
  m.add(1, 0.35, 1, 2);
  m.add(1, 0.8, 1, 1);
  m.add(2, 0.2, 0, 1);
  m.add(2, 0.3, 1, 2);
  EXPECT_NEAR(m.value(), (7 * 0.5 + 3 * 1.0) / 10, 1e-15);
}

void add_recall_rows(std::vector<std::pair<double, double>> rows, RecallAtK& r, HitRateAtK& h, uint64_t g) {
  for (auto [s, y] : rows) {
    r.add(g, s, y);
    h.add(g, s, y);
  }
}

TEST(RecallAndHitRate, HandComputed) {
  RecallAtK r1(1), r2(2);
  HitRateAtK h1(1), h2(2);
  const std::vector<std::pair<double, double>> rows = {{0.9, 0}, {0.8, 1}, {0.7, 1}, {0.6, 2}};
  for (auto* r : {&r1, &r2}) {
    for (auto [s, y] : rows) r->add(1, s, y);
  }
  for (auto* h : {&h1, &h2}) {
    for (auto [s, y] : rows) h->add(1, s, y);
  }
  EXPECT_NEAR(r1.value(), 0.0, 1e-15);        // top 1 = {0.9: not relevant}
  EXPECT_NEAR(r2.value(), 1.0 / 3.0, 1e-15);  // top 2 holds 1 of 3 relevant rows
  EXPECT_EQ(h1.value(), 0.0);
  EXPECT_EQ(h2.value(), 1.0);
}

TEST(RecallAndHitRate, TiesInExpectation) {
  // scores 0.5, 0.5, 0.5, 0.1 with labels 1, 0, 0, 0: the relevant row is one of 3 tied rows.
  // k = 1: recall 1/3; hit = 1 - C(2,1)/C(3,1) = 1/3
  // k = 2: recall 2/3; hit = 1 - C(2,2)/C(3,2) = 2/3
  RecallAtK r1(1), r2(2);
  HitRateAtK h1(1), h2(2);
  const std::vector<std::pair<double, double>> rows = {{0.5, 1}, {0.5, 0}, {0.5, 0}, {0.1, 0}};
  add_recall_rows(rows, r1, h1, 4);
  add_recall_rows(rows, r2, h2, 4);
  EXPECT_NEAR(r1.value(), 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(h1.value(), 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(r2.value(), 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(h2.value(), 2.0 / 3.0, 1e-15);
}

TEST(RecallAndHitRate, GroupsWithoutRelevantAreSkipped) {
  RecallAtK r(1);
  HitRateAtK h(1);
  add_recall_rows({{0.9, 1}, {0.1, 0}}, r, h, 1);  // recall 1, hit 1
  add_recall_rows({{0.9, 0}, {0.1, 1}}, r, h, 2);  // recall 0, hit 0
  add_recall_rows({{0.9, 0}, {0.1, 0}}, r, h, 3);  // skipped
  EXPECT_NEAR(r.value(), 0.5, 1e-15);
  EXPECT_NEAR(h.value(), 0.5, 1e-15);
  EXPECT_EQ(r.result().groups_skipped, 1u);
  EXPECT_EQ(h.result().groups_used, 2u);
}

TEST(Grouped, MergeEqualsOnePassBitwise) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  NdcgAtK nd_all(5), nd_a(5), nd_b(5);
  Gauc ga_all, ga_a, ga_b;
  RecallAtK re_all(3), re_a(3), re_b(3);
  for (int i = 0; i < 4000; ++i) {
    const uint64_t g = rng() % 100;
    const double s = std::round(u(rng) * 20) / 20;
    const double y = u(rng) < 0.02 ? kNaN : (u(rng) < s * 0.5 ? 1.0 : 0.0);
    const double w = 0.5 + u(rng);
    const bool first = (i * 7919) % 5 < 2;
    nd_all.add(g, s, y, w);
    ga_all.add(g, s, y, w);
    re_all.add(g, s, y, w);
    (first ? nd_a : nd_b).add(g, s, y, w);
    (first ? ga_a : ga_b).add(g, s, y, w);
    (first ? re_a : re_b).add(g, s, y, w);
  }
  nd_b.merge(nd_a);
  ga_b.merge(ga_a);
  re_b.merge(re_a);
  EXPECT_EQ(nd_b.value(), nd_all.value());
  EXPECT_EQ(ga_b.value(), ga_all.value());
  EXPECT_EQ(re_b.value(), re_all.value());
  EXPECT_EQ(ga_b.result().groups_used, ga_all.result().groups_used);
  EXPECT_EQ(nd_b.masked(), nd_all.masked());
  EXPECT_GT(ga_all.result().groups_used, 90u);
}

}  // namespace
}  // namespace reco::eval
