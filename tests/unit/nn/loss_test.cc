#include "reco/nn/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> uniform(size_t n, Rng& rng, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) x = lo + (hi - lo) * rng.uniform_float();
  return v;
}

double weight_at(const std::vector<float>& w, size_t i) { return w.empty() ? 1.0 : w[i]; }

// Reference: -[y log s(z) + (1 - y) log(1 - s(z))] in long double, which stays accurate for
// the moderate logits it is used on.
double bce_reference(const std::vector<float>& z, const std::vector<float>& y, const std::vector<float>& w) {
  long double total = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    if (std::isnan(y[i])) continue;
    const long double s = 1.0L / (1.0L + std::exp(-static_cast<long double>(z[i])));
    total += weight_at(w, i) * -(y[i] * std::log(s) + (1.0L - y[i]) * std::log(1.0L - s));
  }
  return static_cast<double>(total);
}

TEST(Loss, NamesRoundTrip) {
  for (LossKind k : {LossKind::kBceWithLogits, LossKind::kMse, LossKind::kSoftmaxCrossEntropy, LossKind::kPairwiseLogistic})
    EXPECT_EQ(parse_loss(loss_name(k)), k);
  EXPECT_EQ(parse_loss("logloss"), LossKind::kBceWithLogits);
  EXPECT_THROW(parse_loss("hinge"), Error);
}

TEST(Loss, BceValueAndGradient) {
  uint64_t seed = 1;
  for (size_t n : {1, 3, 7, 13}) {
    for (bool weighted : {false, true}) {
      for (float grad_scale : {1.0f, 0.25f}) {
        SCOPED_TRACE(::testing::Message() << "n " << n << " weighted " << weighted << " grad_scale " << grad_scale);
        Rng rng(seed++);
        std::vector<float> z = uniform(n, rng, -4.0f, 4.0f);
        std::vector<float> y = uniform(n, rng, 0.0f, 1.0f);  // soft labels are allowed
        for (size_t i = 0; i < n; i += 2) y[i] = y[i] < 0.5f ? 0.0f : 1.0f;
        if (n > 2) y[1] = kNaN;  // masked
        const std::vector<float> w = weighted ? uniform(n, rng, 0.1f, 3.0f) : std::vector<float>{};
        std::vector<float> dz(n, 99.0f);
        const double value = bce_with_logits(z, y, w, grad_scale, dz);
        EXPECT_NEAR(value, bce_reference(z, y, w), 1e-5 * (1.0 + std::fabs(value)));
        if (n > 2) {
          EXPECT_EQ(dz[1], 0.0f);
        }
        std::vector<float> scratch(n);
        auto loss = [&] { return grad_scale * bce_with_logits(z, y, w, grad_scale, scratch); };
        EXPECT_TRUE(check_gradient("logits", std::span<float>(z), dz, loss));
      }
    }
  }
}

TEST(Loss, BceStaysFiniteAtExtremeLogits) {
  const std::vector<float> z = {50.0f, -50.0f, 50.0f, -50.0f, 100.0f, -100.0f};
  const std::vector<float> y = {0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f};
  std::vector<float> dz(z.size());
  const double value = bce_with_logits(z, y, {}, 1.0f, dz);
  ASSERT_TRUE(std::isfinite(value));
  // Confidently wrong: loss |z| each; confidently right: ~exp(-50) each.
  EXPECT_NEAR(value, 50.0 + 50.0 + 100.0 + 100.0, 1e-6);
  for (float g : dz) EXPECT_TRUE(std::isfinite(g));
  EXPECT_NEAR(dz[0], 1.0f, 1e-6);
  EXPECT_NEAR(dz[1], -1.0f, 1e-6);
  EXPECT_NEAR(dz[2], 0.0f, 1e-6);
  EXPECT_NEAR(dz[3], 0.0f, 1e-6);
  // Each confidently right term is still positive, not rounded to a negative or NaN.
  std::vector<float> one(1);
  const double tiny = bce_with_logits(std::vector<float>{50.0f}, std::vector<float>{1.0f}, {}, 1.0f, one);
  EXPECT_GE(tiny, 0.0);
  EXPECT_LT(tiny, 1e-20);
}

// Chained reference: p_t = prod_{j<=t} s(z_j) in long double.
double chained_reference(const std::vector<float>& z, const std::vector<float>& y, const std::vector<float>& w,
                         size_t tasks, const std::vector<float>& task_weight, bool chain) {
  long double total = 0;
  const size_t n = z.size() / tasks;
  for (size_t r = 0; r < n; ++r) {
    long double p = 1.0L;
    for (size_t t = 0; t < tasks; ++t) {
      const long double s = 1.0L / (1.0L + std::exp(-static_cast<long double>(z[r * tasks + t])));
      p = chain ? p * s : s;
      const float label = y[r * tasks + t];
      if (std::isnan(label)) continue;
      total += task_weight[t] * weight_at(w, r) * -(label * std::log(p) + (1.0L - label) * std::log(1.0L - p));
    }
  }
  return static_cast<double>(total);
}

TEST(Loss, MultitaskBceValueAndGradient) {
  uint64_t seed = 100;
  for (bool chain : {false, true}) {
    for (size_t tasks : {1, 2, 4}) {
      for (size_t n : {1, 5}) {
        SCOPED_TRACE(::testing::Message() << "chain " << chain << " tasks " << tasks << " n " << n);
        Rng rng(seed++);
        std::vector<float> z = uniform(n * tasks, rng, -3.0f, 3.0f);
        std::vector<float> y(n * tasks);
        for (float& v : y) v = rng.uniform_float() < 0.4f ? 1.0f : 0.0f;
        if (n * tasks > 3) y[2] = kNaN;
        const std::vector<float> w = uniform(n, rng, 0.5f, 2.0f);
        const std::vector<float> scale = uniform(tasks, rng, 0.2f, 1.5f);
        std::vector<double> task_loss(tasks);
        Tensor dz(n, tasks);
        multitask_bce_with_logits(ConstMatrixView{z.data(), n, tasks, tasks}, y, w, chain, scale, task_loss, dz);
        // Unscaled per-task sums add up to the reference with unit task weights.
        double sum = 0.0;
        for (double l : task_loss) sum += l;
        EXPECT_NEAR(sum, chained_reference(z, y, w, tasks, std::vector<float>(tasks, 1.0f), chain), 1e-4 * (1 + sum));
        std::vector<double> scratch_loss(tasks);
        Tensor scratch(n, tasks);
        auto loss = [&] {
          multitask_bce_with_logits(ConstMatrixView{z.data(), n, tasks, tasks}, y, w, chain, scale, scratch_loss,
                                    scratch);
          double total = 0.0;
          for (size_t t = 0; t < tasks; ++t) total += scale[t] * scratch_loss[t];
          return total;
        };
        EXPECT_TRUE(check_gradient("logits", std::span<float>(z), std::span<const float>(dz.data(), dz.size()), loss));
      }
    }
  }
}

TEST(Loss, ChainedBceStaysFiniteAndProbabilitiesMultiply) {
  // Confident logits on both steps of the funnel: losses and gradients stay finite.
  std::vector<float> z = {40.0f, 40.0f, -40.0f, 30.0f, 40.0f, -40.0f};
  const std::vector<float> y = {1.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  std::vector<double> loss(2);
  Tensor dz(3, 2);
  multitask_bce_with_logits(ConstMatrixView{z.data(), 3, 2, 2}, y, {}, true, std::vector<float>{1.0f, 1.0f}, loss, dz);
  for (double l : loss) EXPECT_TRUE(std::isfinite(l));
  for (size_t i = 0; i < dz.size(); ++i) EXPECT_TRUE(std::isfinite(dz.data()[i])) << i;
  // Row 0: click and no conversion with p_ctcvr ~ 1: the loss is ~ 40 (its logit's margin).
  EXPECT_GT(loss[1], 35.0);
  std::vector<float> p = {0.5f, 1.0f, -1.0f, 2.0f};
  multitask_probabilities(MatrixView{p.data(), 2, 2, 2}, true);
  EXPECT_NEAR(p[0], 1.0f / (1.0f + std::exp(-0.5f)), 1e-6);
  EXPECT_NEAR(p[1], p[0] / (1.0f + std::exp(-1.0f)), 1e-6);
  EXPECT_NEAR(p[3], p[2] / (1.0f + std::exp(-2.0f)), 1e-6);
}

TEST(Loss, MseValueAndGradient) {
  uint64_t seed = 20;
  for (size_t n : {1, 5, 13}) {
    for (bool weighted : {false, true}) {
      Rng rng(seed++);
      std::vector<float> p = uniform(n, rng, -2.0f, 2.0f);
      std::vector<float> y = uniform(n, rng, -2.0f, 2.0f);
      if (n > 1) y[n - 1] = kNaN;
      const std::vector<float> w = weighted ? uniform(n, rng, 0.1f, 3.0f) : std::vector<float>{};
      const float grad_scale = 0.5f;
      std::vector<float> dp(n, 99.0f);
      const double value = mse(p, y, w, grad_scale, dp);
      double want = 0.0;
      for (size_t i = 0; i < n; ++i)
        if (!std::isnan(y[i])) want += 0.5 * weight_at(w, i) * (static_cast<double>(p[i]) - y[i]) * (p[i] - y[i]);
      EXPECT_NEAR(value, want, 1e-6 * (1.0 + want));
      if (n > 1) {
        EXPECT_EQ(dp[n - 1], 0.0f);
      }
      std::vector<float> scratch(n);
      auto loss = [&] { return grad_scale * mse(p, y, w, grad_scale, scratch); };
      EXPECT_TRUE(check_gradient("predictions", std::span<float>(p), dp, loss));
    }
  }
}

TEST(Loss, SoftmaxCrossEntropyValueAndGradient) {
  uint64_t seed = 40;
  for (auto [rows, classes] : {std::pair<size_t, size_t>{1, 1}, {3, 5}, {7, 13}, {4, 2}}) {
    for (bool weighted : {false, true}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << classes << " weighted " << weighted);
      Rng rng(seed++);
      Tensor z = gradcheck::random_tensor(rows, classes, rng, -3.0f, 3.0f);
      z.at(0, 0) += 60.0f;  // large logit: needs the max subtraction
      std::vector<int32_t> t(rows);
      for (auto& v : t) v = static_cast<int32_t>(rng.below(classes));
      if (rows > 2) t[1] = -1;  // masked
      const std::vector<float> w = weighted ? uniform(rows, rng, 0.1f, 3.0f) : std::vector<float>{};
      const float grad_scale = 1.0f / 3.0f;
      Tensor dz(rows, classes);
      dz.fill(99.0f);
      const double value = softmax_cross_entropy(z, t, w, grad_scale, dz);
      double want = 0.0;
      for (size_t r = 0; r < rows; ++r) {
        if (t[r] < 0) continue;
        double mx = -INFINITY, sum = 0.0;
        for (size_t c = 0; c < classes; ++c) mx = std::max(mx, static_cast<double>(z.at(r, c)));
        for (size_t c = 0; c < classes; ++c) sum += std::exp(z.at(r, c) - mx);
        want += weight_at(w, r) * (std::log(sum) + mx - z.at(r, t[r]));
      }
      EXPECT_NEAR(value, want, 1e-5 * (1.0 + want));
      if (rows > 2) {
        for (size_t c = 0; c < classes; ++c) EXPECT_EQ(dz.at(1, c), 0.0f);
      }
      Tensor scratch(rows, classes);
      auto loss = [&] { return grad_scale * softmax_cross_entropy(z, t, w, grad_scale, scratch); };
      EXPECT_TRUE(check_gradient("logits", z, dz, loss));
    }
  }
  Tensor z(2, 3), dz(2, 3);
  EXPECT_THROW(softmax_cross_entropy(z, std::vector<int32_t>{0, 3}, {}, 1.0f, dz), Error);
}

struct RankCase {
  std::vector<float> labels;
  std::vector<uint64_t> groups;
};

TEST(Loss, PairwiseLogisticValueAndGradient) {
  const std::vector<RankCase> cases = {
      {{1.0f}, {0}},                                                   // one item: no pair
      {{1.0f, 0.0f}, {0, 0}},                                          // one pair
      {{1.0f, 0.0f}, {0, 1}},                                          // different groups: none
      {{2.0f, 1.0f, 1.0f, 0.0f, 2.0f}, {4, 4, 4, 4, 4}},               // graded, with ties
      {{1.0f, 0.0f, 1.0f, 0.0f, kNaN, 1.0f, 1.0f}, {0, 0, 0, 7, 7, 7, 7}},  // NaN masked, all-tie tail
      {{0.0f, 3.0f, 1.0f, 1.0f, 2.0f, 0.0f, 5.0f, 5.0f, 1.0f}, {1, 1, 1, 2, 2, 2, 3, 3, 3}},
  };
  uint64_t seed = 60;
  for (const auto& c : cases) {
    for (bool weighted : {false, true}) {
      const size_t n = c.labels.size();
      SCOPED_TRACE(::testing::Message() << "n " << n << " weighted " << weighted);
      Rng rng(seed++);
      std::vector<float> s = uniform(n, rng, -2.0f, 2.0f);
      const std::vector<float> w = weighted ? uniform(n, rng, 0.1f, 3.0f) : std::vector<float>{};
      const float grad_scale = 0.5f;
      std::vector<float> ds(n, 99.0f);
      uint64_t pairs = 12345;
      const double value = pairwise_logistic(s, c.labels, c.groups, w, grad_scale, ds, &pairs);
      double want = 0.0;
      uint64_t want_pairs = 0;
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
          // Ties and NaN comparisons are false: no pair.
          if (c.groups[i] != c.groups[j] || !(c.labels[i] > c.labels[j])) continue;
          want += weight_at(w, i) * std::log1p(std::exp(-(static_cast<double>(s[i]) - s[j])));
          ++want_pairs;
        }
      EXPECT_EQ(pairs, want_pairs);
      EXPECT_NEAR(value, want, 1e-5 * (1.0 + want));
      std::vector<float> scratch(n);
      auto loss = [&] { return grad_scale * pairwise_logistic(s, c.labels, c.groups, w, grad_scale, scratch); };
      EXPECT_TRUE(check_gradient("scores", std::span<float>(s), ds, loss));
      if (want_pairs == 0) {
        for (float g : ds) EXPECT_EQ(g, 0.0f);
      }
    }
  }
}

TEST(Loss, PairwiseLogisticIsStableForLargeMargins) {
  const std::vector<float> s = {60.0f, -60.0f, -60.0f, 60.0f};
  const std::vector<float> y = {1.0f, 0.0f, 1.0f, 0.0f};
  const std::vector<uint64_t> g = {0, 0, 1, 1};
  std::vector<float> ds(4);
  const double value = pairwise_logistic(s, y, g, {}, 1.0f, ds);
  EXPECT_NEAR(value, 120.0, 1e-5);  // the right pair costs ~0, the inverted one 120
  for (float x : ds) EXPECT_TRUE(std::isfinite(x));
  EXPECT_NEAR(ds[2], -1.0f, 1e-6);
  EXPECT_NEAR(ds[3], 1.0f, 1e-6);
  EXPECT_NEAR(ds[0], 0.0f, 1e-6);
}

}  // namespace
}  // namespace reco::nn
