#include "reco/nn/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;
using gradcheck::linear_functional;
using gradcheck::random_tensor;

const std::vector<std::pair<size_t, size_t>> kShapes = {{1, 1}, {3, 5}, {7, 13}, {2, 1}, {1, 9}};

double reference_activation(double z, Activation a) {
  switch (a) {
    case Activation::kNone: return z;
    case Activation::kRelu: return z > 0 ? z : 0.0;
    case Activation::kSigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Activation::kTanh: return std::tanh(z);
  }
  return NAN;
}

TEST(Activation, ParseAndNameRoundTrip) {
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kSigmoid, Activation::kTanh})
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  EXPECT_EQ(parse_activation("linear"), Activation::kNone);
  try {
    parse_activation("gelu");
    ADD_FAILURE() << "parse_activation accepted gelu";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("gelu"), std::string::npos);
  }
}

TEST(Activation, SigmoidIsStableAtExtremes) {
  for (float x : {-100.0f, -50.0f, -1.0f, 0.0f, 0.5f, 50.0f, 100.0f}) {
    const float s = sigmoid(x);
    EXPECT_TRUE(std::isfinite(s)) << x;
    EXPECT_NEAR(s, 1.0 / (1.0 + std::exp(-static_cast<double>(x))), 1e-7) << x;
  }
  EXPECT_GT(sigmoid(-50.0f), 0.0f);  // no underflow to 0 through 1 - exp
}

TEST(Activation, BiasActivationForwardMatchesFormula) {
  uint64_t seed = 1;
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kSigmoid, Activation::kTanh}) {
    for (auto [rows, cols] : kShapes) {
      Rng rng(seed++);
      Tensor x = random_tensor(rows, cols, rng, -3.0f, 3.0f);
      Tensor bias = random_tensor(1, cols, rng);
      Tensor y = x;
      bias_activation_forward(y, bias.data(), a);
      Tensor y_nobias = x;
      bias_activation_forward(y_nobias, nullptr, a);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          EXPECT_NEAR(y.at(r, c), reference_activation(x.at(r, c) + static_cast<double>(bias.at(0, c)), a), 1e-6)
              << activation_name(a);
          EXPECT_NEAR(y_nobias.at(r, c), reference_activation(x.at(r, c), a), 1e-6) << activation_name(a);
        }
    }
  }
}

TEST(Activation, BackwardMatchesFiniteDifferences) {
  uint64_t seed = 10;
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kSigmoid, Activation::kTanh}) {
    for (auto [rows, cols] : kShapes) {
      SCOPED_TRACE(::testing::Message() << activation_name(a) << " " << rows << "x" << cols);
      Rng rng(seed++);
      Tensor x = random_tensor(rows, cols, rng, -2.0f, 2.0f);
      // Keep relu away from its kink: |x| > 0.1 >> the finite-difference step.
      for (float& v : x.span())
        if (std::fabs(v) < 0.1f) v = v < 0 ? v - 0.1f : v + 0.1f;
      const Tensor weights = random_tensor(rows, cols, rng);
      auto loss = [&] {
        Tensor y = x;
        bias_activation_forward(y, nullptr, a);
        return linear_functional(y, weights);
      };
      Tensor y = x;
      bias_activation_forward(y, nullptr, a);
      Tensor dy = weights;
      activation_backward(y, dy, a);
      EXPECT_TRUE(check_gradient("x", x, dy, loss));
    }
  }
}

TEST(Softmax, RowsMatchFormulaAndSumToOne) {
  uint64_t seed = 20;
  for (auto [rows, cols] : kShapes) {
    Rng rng(seed++);
    Tensor x = random_tensor(rows, cols, rng, -5.0f, 5.0f);
    x.at(0, 0) = 80.0f;  // exp(80) overflows float without the max subtraction
    Tensor y(rows, cols);
    softmax_rows(x, y);
    for (size_t r = 0; r < rows; ++r) {
      double denom = 0.0, mx = -INFINITY;
      for (size_t c = 0; c < cols; ++c) mx = std::max(mx, static_cast<double>(x.at(r, c)));
      for (size_t c = 0; c < cols; ++c) denom += std::exp(x.at(r, c) - mx);
      double sum = 0.0;
      for (size_t c = 0; c < cols; ++c) {
        EXPECT_NEAR(y.at(r, c), std::exp(x.at(r, c) - mx) / denom, 1e-6);
        sum += y.at(r, c);
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
    // In place (out aliases x) gives the same result.
    Tensor inplace = x;
    softmax_rows(inplace, inplace);
    for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(inplace.data()[i], y.data()[i]);
  }
}

TEST(Softmax, BackwardMatchesFiniteDifferences) {
  uint64_t seed = 30;
  for (auto [rows, cols] : kShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    Rng rng(seed++);
    Tensor x = random_tensor(rows, cols, rng, -2.0f, 2.0f);
    const Tensor weights = random_tensor(rows, cols, rng);
    Tensor y(rows, cols);
    auto loss = [&] {
      softmax_rows(x, y);
      return linear_functional(y, weights);
    };
    softmax_rows(x, y);
    Tensor dx(rows, cols);
    softmax_rows_backward(y, weights, dx);
    EXPECT_TRUE(check_gradient("x", x, dx, loss));
    // dx may alias dy.
    Tensor alias = weights;
    softmax_rows(x, y);
    softmax_rows_backward(y, alias, alias);
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(alias.data()[i], dx.data()[i]);
  }
}

TEST(Dropout, MaskHasUnitMeanAndTheRightRate) {
  for (float rate : {0.1f, 0.3f, 0.5f, 0.9f}) {
    Rng rng(static_cast<uint64_t>(rate * 100));
    Tensor x(200, 501);
    x.fill(1.0f);
    Tensor mask;
    dropout_forward(x, rate, rng, mask);
    ASSERT_EQ(mask.rows(), 200u);
    ASSERT_EQ(mask.cols(), 501u);
    const float keep = 1.0f / (1.0f - rate);
    double mean = 0.0;
    size_t zeros = 0;
    for (size_t i = 0; i < mask.size(); ++i) {
      const float m = mask.data()[i];
      EXPECT_TRUE(m == 0.0f || m == keep) << m;
      EXPECT_EQ(x.data()[i], m);  // x was all ones: x *= mask
      mean += m;
      zeros += m == 0.0f;
    }
    mean /= static_cast<double>(mask.size());
    // 100k draws: the standard error of the mean is < 0.01 for every rate here.
    EXPECT_NEAR(mean, 1.0, 0.03) << "rate " << rate;
    EXPECT_NEAR(static_cast<double>(zeros) / mask.size(), rate, 0.01) << "rate " << rate;
  }
}

TEST(Dropout, ZeroRateKeepsEverythingAndSeedReproducesMask) {
  Rng rng(3);
  Tensor x = random_tensor(7, 13, rng);
  const Tensor x0 = x;
  Tensor mask;
  dropout_forward(x, 0.0f, rng, mask);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(mask.data()[i], 1.0f);
    EXPECT_EQ(x.data()[i], x0.data()[i]);
  }
  Tensor a = x0, b = x0, mask_a, mask_b;
  Rng ra(99), rb(99);
  dropout_forward(a, 0.4f, ra, mask_a);
  dropout_forward(b, 0.4f, rb, mask_b);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(mask_a.data()[i], mask_b.data()[i]);
    EXPECT_EQ(a.data()[i], b.data()[i]);
  }
  Tensor dy = random_tensor(7, 13, rng);
  const Tensor dy0 = dy;
  dropout_backward(mask_a, dy);
  for (size_t i = 0; i < dy.size(); ++i) EXPECT_EQ(dy.data()[i], dy0.data()[i] * mask_a.data()[i]);
}

TEST(Dropout, RateOutsideRangeThrows) {
  Rng rng(1);
  Tensor x(2, 2), mask;
  EXPECT_THROW(dropout_forward(x, 1.0f, rng, mask), Error);
  EXPECT_THROW(dropout_forward(x, -0.1f, rng, mask), Error);
}

}  // namespace
}  // namespace reco::nn
