// Hand-computed values for the exact ranking metrics RocAuc and PrAuc.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "reco/core/error.h"
#include "reco/eval/pr_auc.h"
#include "reco/eval/roc_auc.h"

namespace reco::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename M>
M fill(const std::vector<double>& s, const std::vector<double>& y, const std::vector<double>& w = {}) {
  M m;
  for (std::size_t i = 0; i < s.size(); ++i) m.add(s[i], y[i], w.empty() ? 1.0 : w[i]);
  return m;
}

TEST(RocAuc, HandComputed) {
  // positives {0.35, 0.8}, negatives {0.1, 0.4}:
  // 0.35 > 0.1 (1), 0.35 < 0.4 (0), 0.8 beats both (2) -> 3 / 4
  EXPECT_DOUBLE_EQ(fill<RocAuc>({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}).value(), 0.75);
}

TEST(RocAuc, TiesGetHalfCredit) {
  // positives {0.5, 0.9}, negatives {0.5, 0.2}:
  // 0.5 vs 0.5 tie (0.5), 0.5 > 0.2 (1), 0.9 beats both (2) -> 3.5 / 4
  EXPECT_DOUBLE_EQ(fill<RocAuc>({0.5, 0.5, 0.2, 0.9}, {0, 1, 0, 1}).value(), 0.875);
  // All scores equal: every pair is a tie -> 0.5
  EXPECT_DOUBLE_EQ(fill<RocAuc>({0.3, 0.3, 0.3}, {0, 1, 1}).value(), 0.5);
}

TEST(RocAuc, Weighted) {
  // negatives 0.1 (w 1), 0.4 (w 3); positives 0.35 (w 2), 0.8 (w 1); P = 3, N = 4
  // 0.35 beats 0.1: 2 * 1 = 2; 0.8 beats both: 1 * 4 = 4 -> 6 / 12
  EXPECT_DOUBLE_EQ(fill<RocAuc>({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, {1, 3, 2, 1}).value(), 0.5);
  // An integer weight equals repeating the row.
  EXPECT_DOUBLE_EQ(fill<RocAuc>({0.1, 0.4, 0.4, 0.4, 0.35, 0.35, 0.8}, {0, 0, 0, 0, 1, 1, 1}).value(), 0.5);
}

TEST(RocAuc, SingleClassIsNaNAndMaskCounts) {
  EXPECT_TRUE(std::isnan(fill<RocAuc>({0.1, 0.7}, {1, 1}).value()));
  EXPECT_TRUE(std::isnan(fill<RocAuc>({0.1, 0.7}, {0, 0}).value()));
  EXPECT_TRUE(std::isnan(RocAuc().value()));
  // The only negative has weight 0: still one class by weight.
  EXPECT_TRUE(std::isnan(fill<RocAuc>({0.1, 0.7}, {0, 1}, {0, 1}).value()));
  RocAuc m = fill<RocAuc>({0.1, 0.4, 0.35, 0.8, 0.99}, {0, 0, 1, 1, kNaN});
  EXPECT_DOUBLE_EQ(m.value(), 0.75);
  EXPECT_EQ(m.count(), 4u);
  EXPECT_EQ(m.masked(), 1u);
}

TEST(RocAuc, RejectsBadInput) {
  RocAuc m;
  EXPECT_THROW(m.add(0.5, 0.5), Error);
  EXPECT_THROW(m.add(kNaN, 1), Error);
  EXPECT_THROW(m.add(0.5, 1, -2), Error);
  EXPECT_EQ(m.count(), 0u);
}

TEST(PrAuc, HandComputed) {
  // descending: 0.8 (+) P=1 R=1/2; 0.4 (-); 0.35 (+) P=2/3 R=1
  // AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
  EXPECT_DOUBLE_EQ(fill<PrAuc>({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}).value(), 5.0 / 6.0);
}

TEST(PrAuc, TiesEnterTogether) {
  // block 0.5 = {+, -, -}: TP 1 FP 2, P = 1/3, R = 1/2; then 0.2 (+): P = 2/4, R = 1
  // AP = 1/2 * 1/3 + 1/2 * 1/2 = 5/12 (breaking the tie positive-first would give 3/4)
  EXPECT_NEAR(fill<PrAuc>({0.5, 0.5, 0.5, 0.2}, {1, 0, 0, 1}).value(), 5.0 / 12.0, 1e-15);
}

TEST(PrAuc, Weighted) {
  // P = 4. 0.8 (+, w 1): TP 1 FP 0 -> 1/4 * 1; 0.4 (-, w 2): FP 2;
  // 0.35 (+, w 3): TP 4 FP 2 -> 3/4 * 4/6. AP = 0.25 + 0.5 = 0.75
  EXPECT_NEAR(fill<PrAuc>({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, {1, 2, 3, 1}).value(), 0.75, 1e-15);
}

TEST(PrAuc, NoPositivesIsNaNOnlyPositivesIsOne) {
  EXPECT_TRUE(std::isnan(fill<PrAuc>({0.1, 0.7}, {0, 0}).value()));
  EXPECT_TRUE(std::isnan(PrAuc().value()));
  EXPECT_DOUBLE_EQ(fill<PrAuc>({0.1, 0.7}, {1, 1}).value(), 1.0);
}

TEST(Ranking, MergeEqualsOnePassBitwise) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  RocAuc auc_all, auc_parts[3];
  PrAuc ap_all, ap_parts[3];
  for (int i = 0; i < 3000; ++i) {
    const double s = std::round(u(rng) * 50) / 50;  // many ties
    const double y = u(rng) < 0.02 ? kNaN : (u(rng) < s ? 1.0 : 0.0);
    const double w = std::round(u(rng) * 8) / 4;
    auc_all.add(s, y, w);
    ap_all.add(s, y, w);
    auc_parts[i % 3].add(s, y, w);
    ap_parts[i % 3].add(s, y, w);
  }
  // Merge in a different order than insertion: the canonical sort makes it irrelevant.
  auc_parts[2].merge(auc_parts[0]);
  auc_parts[2].merge(auc_parts[1]);
  ap_parts[1].merge(ap_parts[2]);
  ap_parts[1].merge(ap_parts[0]);
  EXPECT_EQ(auc_parts[2].value(), auc_all.value());
  EXPECT_EQ(ap_parts[1].value(), ap_all.value());
  EXPECT_EQ(auc_parts[2].count(), auc_all.count());
  EXPECT_EQ(auc_parts[2].masked(), auc_all.masked());
  EXPECT_GT(auc_all.value(), 0.6);  // the data has signal; guards against a degenerate run
}

}  // namespace
}  // namespace reco::eval
