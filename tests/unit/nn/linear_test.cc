#include "reco/nn/linear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;
using gradcheck::fill_uniform;
using gradcheck::linear_functional;
using gradcheck::random_tensor;

struct LinearShape {
  size_t batch, in, out;
};
const std::vector<LinearShape> kShapes = {{1, 1, 1}, {3, 5, 2}, {7, 13, 3}, {4, 3, 5}, {2, 7, 13}};
const Activation kActivations[] = {Activation::kNone, Activation::kRelu, Activation::kSigmoid, Activation::kTanh};

// Pre-activation x W^T + b in double, the reference for forward and for relu's kink margin.
std::vector<double> pre_activation(const Linear& l, const Tensor& x) {
  std::vector<double> z(x.rows() * l.out());
  for (size_t b = 0; b < x.rows(); ++b)
    for (size_t o = 0; o < l.out(); ++o) {
      double s = l.bias().value.at(0, o);
      for (size_t i = 0; i < l.in(); ++i) s += static_cast<double>(x.at(b, i)) * l.weight().value.at(o, i);
      z[b * l.out() + o] = s;
    }
  return z;
}

double apply(double z, Activation a) {
  switch (a) {
    case Activation::kNone: return z;
    case Activation::kRelu: return z > 0 ? z : 0.0;
    case Activation::kSigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Activation::kTanh: return std::tanh(z);
  }
  return NAN;
}

// A layer and input whose pre-activations all lie at least `margin` from 0, so relu is smooth
// within every finite-difference step (|x|, |W| <= 1: a step moves z by <= 1e-3). Seeds are
// tried in order from `seed`, so the choice is deterministic.
void make_smooth_case(const LinearShape& s, Activation a, uint64_t seed, Linear& layer, Tensor& x) {
  const double margin = 0.01;
  for (uint64_t attempt = 0; attempt < 1000; ++attempt) {
    Rng rng(seed * 1000 + attempt);
    layer = Linear("fc", s.in, s.out, a);
    layer.init(rng);
    fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);  // init zeroes the bias; test it non-zero
    x = random_tensor(s.batch, s.in, rng);
    bool ok = true;
    for (double z : pre_activation(layer, x)) ok = ok && std::fabs(z) > margin;
    if (ok || a != Activation::kRelu) return;
  }
  FAIL() << "no relu case without near-kink pre-activations";
}

TEST(Linear, ForwardMatchesReference) {
  uint64_t seed = 1;
  for (Activation a : kActivations)
    for (const auto& s : kShapes) {
      Linear layer;
      Tensor x;
      make_smooth_case(s, a, seed++, layer, x);
      Tensor y(5, 5);  // forward resizes whatever it is given
      layer.forward(x, y);
      ASSERT_EQ(y.rows(), s.batch);
      ASSERT_EQ(y.cols(), s.out);
      const auto z = pre_activation(layer, x);
      for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y.data()[i], apply(z[i], a), 1e-5) << activation_name(a);
    }
}

TEST(Linear, GradientsMatchFiniteDifferences) {
  uint64_t seed = 100;
  for (Activation a : kActivations) {
    for (const auto& s : kShapes) {
      SCOPED_TRACE(::testing::Message() << activation_name(a) << " batch " << s.batch << " in " << s.in << " out "
                                        << s.out);
      Linear layer;
      Tensor x;
      make_smooth_case(s, a, seed++, layer, x);
      Rng rng(seed * 7);
      const Tensor weights = random_tensor(s.batch, s.out, rng);
      Tensor y;
      auto loss = [&] {
        layer.forward(x, y);
        return linear_functional(y, weights);
      };
      layer.forward(x, y);
      Tensor dy = weights;
      Tensor gw(s.out, s.in), gb(1, s.out), dx;
      layer.backward(x, y, dy, gw, gb, &dx);
      EXPECT_TRUE(check_gradient("weight", layer.weight().value, gw, loss));
      EXPECT_TRUE(check_gradient("bias", layer.bias().value, gb, loss));
      EXPECT_TRUE(check_gradient("input", x, dx, loss));
    }
  }
}

TEST(Linear, ParameterGradientsAccumulate) {
  uint64_t seed = 200;
  for (Activation a : kActivations) {
    const LinearShape s{7, 13, 3};
    Linear layer;
    Tensor x;
    make_smooth_case(s, a, seed++, layer, x);
    Rng rng(seed);
    const Tensor weights = random_tensor(s.batch, s.out, rng);
    Tensor y;
    layer.forward(x, y);

    // One call from zero: the gradient g.
    Tensor dy = weights, g_w(s.out, s.in), g_b(1, s.out), dx_once;
    layer.backward(x, y, dy, g_w, g_b, &dx_once);
    // Two calls on top of existing values G0: G0 + 2 g; dx is overwritten, not summed.
    const Tensor w0 = random_tensor(s.out, s.in, rng), b0 = random_tensor(1, s.out, rng);
    Tensor acc_w = w0, acc_b = b0, dx;
    dx.resize(2, 2);
    dx.fill(123.0f);
    for (int rep = 0; rep < 2; ++rep) {
      Tensor d = weights;
      layer.backward(x, y, d, acc_w, acc_b, rep == 0 ? nullptr : &dx);
    }
    for (size_t i = 0; i < acc_w.size(); ++i)
      EXPECT_NEAR(acc_w.data()[i], w0.data()[i] + 2.0 * g_w.data()[i], 1e-5) << activation_name(a);
    for (size_t i = 0; i < acc_b.size(); ++i)
      EXPECT_NEAR(acc_b.data()[i], b0.data()[i] + 2.0 * g_b.data()[i], 1e-5) << activation_name(a);
    ASSERT_EQ(dx.rows(), s.batch);
    ASSERT_EQ(dx.cols(), s.in);
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(dx.data()[i], dx_once.data()[i]);
  }
}

TEST(Linear, InitIsXavierUniformWithZeroBias) {
  Rng rng(5);
  Linear layer("fc", 30, 20, Activation::kRelu);
  layer.bias().value.fill(3.0f);
  layer.init(rng);
  const double bound = std::sqrt(6.0 / 50.0);
  double max_abs = 0.0;
  for (float w : layer.weight().value.span()) max_abs = std::max(max_abs, std::fabs(static_cast<double>(w)));
  EXPECT_LE(max_abs, bound);
  EXPECT_GT(max_abs, 0.9 * bound);  // 600 draws reach the edge
  for (float b : layer.bias().value.span()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(layer.weight().name, "fc.weight");
  EXPECT_EQ(layer.bias().name, "fc.bias");
  EXPECT_FALSE(layer.bias().decay);
  EXPECT_TRUE(layer.weight().decay);
  EXPECT_THROW(Linear("bad", 0, 3, Activation::kNone), Error);
  EXPECT_THROW(Linear("bad", 3, 0, Activation::kNone), Error);
}

}  // namespace
}  // namespace reco::nn
