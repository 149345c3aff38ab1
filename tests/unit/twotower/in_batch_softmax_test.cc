// Finite-difference checks of the in-batch softmax loss and of the L2 normalisation, and
// accidental-hit masking.
#include "reco/twotower/in_batch_softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "reco/core/rng.h"

namespace reco::twotower {
namespace {

struct Case {
  size_t B, M, d;
  float temperature;
  bool logq, weighted, duplicates;
};

nn::Tensor random_tensor(size_t r, size_t c, Rng& rng, float scale) {
  nn::Tensor t(r, c);
  for (float& x : t.span()) x = scale * static_cast<float>(rng.normal());
  return t;
}

double loss_of(const nn::Tensor& u, const nn::Tensor& v, const std::vector<uint32_t>& items,
               const std::vector<float>& log_q, float inv_t, const std::vector<float>& w) {
  nn::Tensor s, du(u.rows(), u.cols()), dv(v.rows(), v.cols());
  return in_batch_softmax_loss(u, v, items, log_q, inv_t, w, 1.0f, s, du, dv);
}

class InBatchSoftmaxGrad : public ::testing::TestWithParam<Case> {};

TEST_P(InBatchSoftmaxGrad, MatchesFiniteDifferences) {
  const Case c = GetParam();
  Rng rng(7 + c.B * 31 + c.d);
  const size_t C = c.B + c.M;
  nn::Tensor u = random_tensor(c.B, c.d, rng, 0.5f), v = random_tensor(C, c.d, rng, 0.5f);
  std::vector<uint32_t> items(C);
  for (size_t j = 0; j < C; ++j) items[j] = static_cast<uint32_t>(c.duplicates ? rng.below(3) : 100 + j);
  std::vector<float> log_q(C, 0.0f), w;
  if (c.logq)
    for (float& q : log_q) q = static_cast<float>(std::log(0.05 + rng.uniform()));
  if (c.weighted)
    for (size_t i = 0; i < c.B; ++i) w.push_back(static_cast<float>(0.2 + rng.uniform()));
  const float inv_t = 1.0f / c.temperature;

  nn::Tensor s, du(c.B, c.d), dv(C, c.d);
  const float grad_scale = 0.5f;
  const double loss = in_batch_softmax_loss(u, v, items, log_q, inv_t, w, grad_scale, s, du, dv);
  ASSERT_TRUE(std::isfinite(loss));
  const float h = 1e-2f;
  auto check = [&](nn::Tensor& x, const nn::Tensor& g, const char* what) {
    for (size_t k = 0; k < x.size(); ++k) {
      const float keep = x.data()[k];
      x.data()[k] = keep + h;
      const double up = loss_of(u, v, items, log_q, inv_t, w);
      x.data()[k] = keep - h;
      const double down = loss_of(u, v, items, log_q, inv_t, w);
      x.data()[k] = keep;
      const double numeric = grad_scale * (up - down) / (2.0 * h);
      EXPECT_NEAR(g.data()[k], numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << what << " element " << k;
    }
  };
  check(u, du, "dU");
  check(v, dv, "dV");
}

INSTANTIATE_TEST_SUITE_P(Shapes, InBatchSoftmaxGrad,
                         ::testing::Values(Case{1, 0, 3, 1.0f, false, false, false},
                                           Case{1, 2, 5, 0.5f, true, false, false},
                                           Case{6, 0, 7, 0.7f, true, true, false},
                                           Case{5, 3, 4, 0.5f, true, false, true},
                                           Case{8, 4, 9, 2.0f, false, true, true},
                                           Case{4, 0, 1, 1.0f, true, false, false}));

TEST(InBatchSoftmax, AccidentalHitsAreMaskedAndGetNoGradient) {
  // Rows 0 and 2 share item 5; random column 4 also holds item 5; column 3 holds item 9.
  const std::vector<uint32_t> items{5, 7, 5, 9, 5};
  Rng rng(3);
  nn::Tensor u = random_tensor(4, 3, rng, 1.0f), v = random_tensor(5, 3, rng, 1.0f);
  const std::vector<float> log_q(5, -1.0f);
  nn::Tensor s(4, 5);
  in_batch_logits(u, v, 0, items, log_q, 2.0f, s);
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < 5; ++j) {
      const bool masked = j != i && items[j] == items[i];
      if (masked) {
        EXPECT_TRUE(std::isinf(s.at(i, j)) && s.at(i, j) < 0) << i << "," << j;
      } else {
        float dot = 0;
        for (size_t k = 0; k < 3; ++k) dot += u.at(i, k) * v.at(j, k);
        EXPECT_NEAR(s.at(i, j), 2.0f * dot + 1.0f, 1e-4) << i << "," << j;
      }
    }
  softmax_loss_rows(s, 0, {}, 1.0f);
  EXPECT_EQ(s.at(0, 2), 0.0f);
  EXPECT_EQ(s.at(0, 4), 0.0f);
  EXPECT_EQ(s.at(2, 0), 0.0f);
  EXPECT_LT(s.at(0, 0), 0.0f);  // the diagonal is never masked
  for (size_t i = 0; i < 4; ++i) {
    double row = 0;
    for (size_t j = 0; j < 5; ++j) row += s.at(i, j);
    EXPECT_NEAR(row, 0.0, 1e-5);  // softmax - onehot sums to zero
  }
}

TEST(InBatchSoftmax, ShardedRowsEqualTheWholeBatch) {
  Rng rng(11);
  const size_t B = 7, C = 9, d = 5;
  nn::Tensor u = random_tensor(B, d, rng, 1.0f), v = random_tensor(C, d, rng, 1.0f);
  std::vector<uint32_t> items{1, 2, 3, 1, 4, 5, 6, 2, 7};
  std::vector<float> log_q(C);
  for (float& q : log_q) q = static_cast<float>(-rng.uniform());
  nn::Tensor whole(B, C), parts(B, C);
  in_batch_logits(u, v, 0, items, log_q, 1.5f, whole);
  const double lw = softmax_loss_rows(whole, 0, {}, 0.25f);
  double lp = 0;
  for (size_t r0 : {size_t{0}, size_t{3}}) {
    const size_t n = r0 == 0 ? 3 : B - 3;
    in_batch_logits(u.view().rows_slice(r0, n), v, r0, items, log_q, 1.5f, parts.view().rows_slice(r0, n));
    lp += softmax_loss_rows(parts.view().rows_slice(r0, n), r0, {}, 0.25f);
  }
  EXPECT_NEAR(lw, lp, 1e-9);
  for (size_t k = 0; k < whole.size(); ++k) EXPECT_FLOAT_EQ(whole.data()[k], parts.data()[k]);
}

TEST(L2Normalize, BackwardMatchesFiniteDifferences) {
  Rng rng(5);
  nn::Tensor x = random_tensor(3, 6, rng, 1.0f), g = random_tensor(3, 6, rng, 1.0f);
  auto f = [&](const nn::Tensor& in) {
    nn::Tensor y(in.rows(), in.cols());
    std::vector<float> inv(in.rows());
    l2_normalize_rows(in, y, inv);
    double s = 0;
    for (size_t k = 0; k < y.size(); ++k) s += double(y.data()[k]) * g.data()[k];
    return s;
  };
  nn::Tensor y(3, 6), dx(3, 6);
  std::vector<float> inv(3);
  l2_normalize_rows(x, y, inv);
  l2_normalize_backward(y, inv, g, dx);
  for (size_t k = 0; k < x.size(); ++k) {
    const float keep = x.data()[k];
    x.data()[k] = keep + 1e-3f;
    const double up = f(x);
    x.data()[k] = keep - 1e-3f;
    const double down = f(x);
    x.data()[k] = keep;
    EXPECT_NEAR(dx.data()[k], (up - down) / 2e-3, 2e-3) << k;
  }
}

}  // namespace
}  // namespace reco::twotower
