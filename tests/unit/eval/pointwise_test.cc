// Hand-computed values for the O(1)-state metrics: LogLoss, Brier, Accuracy,
// CalibrationRatio, MeanSquaredError.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "reco/core/error.h"
#include "reco/eval/accuracy.h"
#include "reco/eval/brier.h"
#include "reco/eval/calibration_ratio.h"
#include "reco/eval/log_loss.h"
#include "reco/eval/mean_squared_error.h"

namespace reco::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(LogLoss, HandComputed) {
  LogLoss m;
  m.add(0.9, 1);  // -ln 0.9 = 0.105360516
  m.add(0.2, 0);  // -ln 0.8 = 0.223143551
  EXPECT_NEAR(m.value(), (0.105360516 + 0.223143551) / 2, 1e-9);
  EXPECT_EQ(m.count(), 2u);
}

TEST(LogLoss, WeightsAndMask) {
  LogLoss m;
  m.add(0.9, 1, 3.0);
  m.add(0.2, 0, 1.0);
  m.add(0.5, kNaN, 5.0);  // masked: ignored except for masked()
  // (3 * 0.105360516 + 1 * 0.223143551) / 4 = 0.134806275
  EXPECT_NEAR(m.value(), 0.134806275, 1e-9);
  EXPECT_EQ(m.count(), 2u);
  EXPECT_EQ(m.masked(), 1u);
}

TEST(LogLoss, ClipsAtEps) {
  LogLoss wrong;
  wrong.add(0.0, 1);  // -ln(1e-7) = 16.118095651
  EXPECT_NEAR(wrong.value(), 16.118095651, 1e-8);
  LogLoss right;
  right.add(1.0, 1);  // -ln(1 - 1e-7) = 1.00000005e-7
  EXPECT_NEAR(right.value(), 1.00000005e-7, 1e-15);
  EXPECT_GT(right.value(), 0.0);
}

TEST(LogLoss, SoftLabel) {
  LogLoss m;
  m.add(0.5, 0.3);  // -(0.3 ln 0.5 + 0.7 ln 0.5) = ln 2
  EXPECT_NEAR(m.value(), std::log(2.0), 1e-12);
}

TEST(LogLoss, EmptyIsNaNAndBadInputsThrow) {
  LogLoss m;
  EXPECT_TRUE(std::isnan(m.value()));
  m.add(0.3, kNaN);
  EXPECT_TRUE(std::isnan(m.value()));
  EXPECT_THROW(m.add(1.5, 1), Error);
  EXPECT_THROW(m.add(kNaN, 1), Error);
  EXPECT_THROW(m.add(0.5, 2), Error);
  EXPECT_THROW(m.add(0.5, 1, -1.0), Error);
  EXPECT_THROW(m.add(0.5, 1, std::numeric_limits<double>::infinity()), Error);
}

TEST(Brier, HandComputed) {
  Brier m;
  m.add(0.9, 1);  // 0.01
  m.add(0.2, 0);  // 0.04
  m.add(0.6, 0);  // 0.36
  EXPECT_NEAR(m.value(), 0.41 / 3, 1e-12);
  Brier w;
  w.add(0.9, 1, 2);  // 2 * 0.01
  w.add(0.6, 0, 0.5);  // 0.5 * 0.36
  w.add(0.1, kNaN);
  // (0.02 + 0.18) / 2.5 = 0.08
  EXPECT_NEAR(w.value(), 0.08, 1e-12);
  EXPECT_EQ(w.masked(), 1u);
  EXPECT_THROW(w.add(-0.1, 0), Error);
}

TEST(Accuracy, HandComputed) {
  Accuracy m;
  m.add(0.5, 1);   // 0.5 >= 0.5 -> 1: correct
  m.add(0.49, 1);  // -> 0: wrong
  m.add(0.7, 0);   // -> 1: wrong
  m.add(0.1, 0);   // -> 0: correct
  EXPECT_NEAR(m.value(), 0.5, 1e-12);
  Accuracy w;
  w.add(0.5, 1, 1);
  w.add(0.49, 1, 1);
  w.add(0.7, 0, 1);
  w.add(0.1, 0, 3);
  // correct weight 1 + 3 over 6
  EXPECT_NEAR(w.value(), 4.0 / 6.0, 1e-12);
}

TEST(Accuracy, LogitThresholdAndMergeCheck) {
  Accuracy logits(0.0);
  logits.add(-2.0, 0);  // correct
  logits.add(0.3, 1);   // correct
  logits.add(-0.1, 1);  // wrong
  EXPECT_NEAR(logits.value(), 2.0 / 3.0, 1e-12);
  EXPECT_THROW(logits.add(0.3, 0.5), Error);  // labels must be 0/1
  Accuracy other(0.5);
  EXPECT_THROW(logits.merge(other), Error);
}

TEST(CalibrationRatio, HandComputed) {
  CalibrationRatio m;
  m.add(0.2, 0);
  m.add(0.4, 1);
  EXPECT_NEAR(m.value(), 0.6 / 1.0, 1e-12);  // (0.2 + 0.4) / (0 + 1)
  CalibrationRatio w;
  w.add(0.2, 0, 2);
  w.add(0.4, 1, 1);
  w.add(0.9, kNaN, 7);
  EXPECT_NEAR(w.value(), 0.8, 1e-12);  // (2 * 0.2 + 0.4) / 1
  EXPECT_EQ(w.masked(), 1u);
  CalibrationRatio none;
  none.add(0.3, 0);
  EXPECT_TRUE(std::isnan(none.value()));  // no positive label weight
}

TEST(MeanSquaredError, HandComputed) {
  MeanSquaredError m;
  m.add(1.5, 1);   // 0.25
  m.add(-2.0, 0);  // 4
  EXPECT_NEAR(m.value(), 2.125, 1e-12);
  m.add(10, 10, 0.0);  // zero weight: counted, contributes nothing
  EXPECT_NEAR(m.value(), 2.125, 1e-12);
  EXPECT_EQ(m.count(), 3u);
  EXPECT_THROW(m.add(std::numeric_limits<double>::infinity(), 0), Error);
}

TEST(Pointwise, MergeEqualsOnePass) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  LogLoss ll_all, ll_a, ll_b;
  Brier br_all, br_a, br_b;
  Accuracy ac_all, ac_a, ac_b;
  CalibrationRatio ca_all, ca_a, ca_b;
  MeanSquaredError ms_all, ms_a, ms_b;
  for (int i = 0; i < 5000; ++i) {
    const double p = u(rng);
    const double y = u(rng) < 0.05 ? kNaN : (u(rng) < p ? 1.0 : 0.0);
    const double w = 0.1 + 2 * u(rng);
    const bool first = u(rng) < 0.3;
    ll_all.add(p, y, w);
    br_all.add(p, y, w);
    ac_all.add(p, y, w);
    ca_all.add(p, y, w);
    ms_all.add(p, y, w);
    (first ? ll_a : ll_b).add(p, y, w);
    (first ? br_a : br_b).add(p, y, w);
    (first ? ac_a : ac_b).add(p, y, w);
    (first ? ca_a : ca_b).add(p, y, w);
    (first ? ms_a : ms_b).add(p, y, w);
  }
  ll_a.merge(ll_b);
  br_a.merge(br_b);
  ac_a.merge(ac_b);
  ca_a.merge(ca_b);
  ms_a.merge(ms_b);
  EXPECT_NEAR(ll_a.value(), ll_all.value(), 1e-14);
  EXPECT_NEAR(br_a.value(), br_all.value(), 1e-14);
  EXPECT_NEAR(ac_a.value(), ac_all.value(), 1e-14);
  EXPECT_NEAR(ca_a.value(), ca_all.value(), 1e-14);
  EXPECT_NEAR(ms_a.value(), ms_all.value(), 1e-14);
  EXPECT_EQ(ll_a.count(), ll_all.count());
  EXPECT_EQ(ll_a.masked(), ll_all.masked());
  EXPECT_GT(ll_all.masked(), 0u);
}

}  // namespace
}  // namespace reco::eval
