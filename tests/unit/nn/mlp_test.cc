#include "reco/nn/mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/nn/blas.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::check_gradient;
using gradcheck::fill_uniform;
using gradcheck::linear_functional;
using gradcheck::random_tensor;

struct MlpCase {
  size_t batch, in;
  std::vector<size_t> sizes;
  Activation hidden, last;
};

std::vector<MlpCase> cases() {
  return {
      {1, 1, {1}, Activation::kRelu, Activation::kNone},
      {3, 5, {3}, Activation::kRelu, Activation::kSigmoid},
      {7, 13, {7, 1}, Activation::kRelu, Activation::kNone},
      {3, 5, {5, 3}, Activation::kTanh, Activation::kTanh},
      {1, 3, {4, 2}, Activation::kSigmoid, Activation::kRelu},
      {7, 13, {13, 5, 2}, Activation::kRelu, Activation::kNone},
      {4, 3, {3, 7, 1}, Activation::kTanh, Activation::kSigmoid},
  };
}

std::string describe(const MlpCase& c, float dropout) {
  std::string s = "batch " + std::to_string(c.batch) + " in " + std::to_string(c.in) + " sizes";
  for (size_t n : c.sizes) s += " " + std::to_string(n);
  return s + " hidden " + std::string(activation_name(c.hidden)) + " last " + std::string(activation_name(c.last)) +
         " dropout " + std::to_string(dropout);
}

// Smallest |pre-activation| over every layer of the forward pass that ws holds (the input of
// layer i is the dropped output of layer i-1 when dropout ran).
double min_abs_pre_activation(const Mlp& mlp, const Tensor& x, const MlpWorkspace& ws) {
  double m = INFINITY;
  for (size_t i = 0; i < mlp.depth(); ++i) {
    const Linear& l = mlp.layer(i);
    ConstMatrixView in = x;
    if (i > 0) in = ws.masks[i - 1].empty() ? ws.outputs[i - 1].view() : ws.dropped[i - 1].view();
    for (size_t b = 0; b < in.rows; ++b)
      for (size_t o = 0; o < l.out(); ++o) {
        double z = l.bias().value.at(0, o);
        for (size_t k = 0; k < l.in(); ++k) z += static_cast<double>(in.at(b, k)) * l.weight().value.at(o, k);
        m = std::min(m, std::fabs(z));
      }
  }
  return m;
}

bool has_relu(const MlpCase& c) {
  return c.last == Activation::kRelu || (c.sizes.size() > 1 && c.hidden == Activation::kRelu);
}

// An initialized Mlp (non-zero biases) and input whose relu pre-activations all keep a
// margin from the kink in the forward pass with dropout seed `dropout_seed`.
void make_case(const MlpCase& c, float dropout, uint64_t seed, uint64_t dropout_seed, Mlp& mlp, Tensor& x) {
  for (uint64_t attempt = 0; attempt < 2000; ++attempt) {
    Rng rng(seed * 10000 + attempt);
    mlp = Mlp("mlp", c.in, c.sizes, c.hidden, c.last, dropout);
    mlp.init(rng);
    for (size_t i = 0; i < mlp.depth(); ++i) fill_uniform(mlp.layer(i).bias().value, rng, -0.3f, 0.3f);
    x = random_tensor(c.batch, c.in, rng);
    if (!has_relu(c)) return;
    MlpWorkspace ws;
    Rng drng(dropout_seed);
    mlp.forward(x, ws, &drng);
    if (min_abs_pre_activation(mlp, x, ws) > 0.02) return;
  }
  FAIL() << "no case without near-kink relu pre-activations for " << describe(c, dropout);
}

void check_mlp_gradients(float dropout, uint64_t seed_base) {
  uint64_t seed = seed_base;
  for (const auto& c : cases()) {
    SCOPED_TRACE(describe(c, dropout));
    const uint64_t dropout_seed = seed + 555;
    Mlp mlp;
    Tensor x;
    make_case(c, dropout, seed++, dropout_seed, mlp, x);
    Rng rng(seed * 3);
    const Tensor weights = random_tensor(c.batch, mlp.out(), rng);
    MlpWorkspace ws;
    auto forward = [&] {
      Rng drng(dropout_seed);  // the same masks in every forward
      mlp.forward(x, ws, &drng);
    };
    auto loss = [&] {
      forward();
      return linear_functional(ws.output(), weights);
    };
    mlp.prepare(ws);
    forward();
    Tensor dx;
    mlp.backward(x, weights, ws, &dx);
    // Snapshot the analytic gradients: the loss callback reuses ws.
    std::vector<Tensor> grads;
    for (Tensor* g : Mlp::gradients(ws)) grads.push_back(*g);
    const auto params = mlp.parameters();
    ASSERT_EQ(params.size(), grads.size());
    ASSERT_EQ(params.size(), 2 * c.sizes.size());
    for (size_t p = 0; p < params.size(); ++p) EXPECT_TRUE(check_gradient(params[p]->name, params[p]->value, grads[p], loss));
    EXPECT_TRUE(check_gradient("input", x, dx, loss));
  }
}

TEST(Mlp, GradientsMatchFiniteDifferences) { check_mlp_gradients(0.0f, 1); }

TEST(Mlp, GradientsWithDropoutMatchFiniteDifferences) { check_mlp_gradients(0.3f, 100); }

TEST(Mlp, DropoutRunsOnHiddenLayersOnlyWhileTraining) {
  const MlpCase c{64, 13, {32, 16, 1}, Activation::kRelu, Activation::kNone};
  Rng rng(9);
  Mlp mlp("mlp", c.in, c.sizes, c.hidden, c.last, 0.5f);
  mlp.init(rng);
  const Tensor x = random_tensor(c.batch, c.in, rng);
  MlpWorkspace ws;
  Rng drng(4);
  mlp.forward(x, ws, &drng);
  ASSERT_EQ(ws.masks.size(), 3u);
  EXPECT_EQ(ws.masks[0].rows(), c.batch);
  EXPECT_EQ(ws.masks[1].cols(), 16u);
  EXPECT_TRUE(ws.masks[2].empty());  // never on the output layer
  size_t zeros = 0;
  for (float m : ws.masks[0].span()) zeros += m == 0.0f;
  EXPECT_GT(zeros, 0u);
  const Tensor training = ws.output();

  // Inference: no rng, no masks, no 1/(1-rate) scaling: equal to the plain layer stack.
  mlp.forward(x, ws, nullptr);
  for (const Tensor& m : ws.masks) EXPECT_TRUE(m.empty());
  const Tensor inference = ws.output();
  // The same kernels Mlp picks (fused oneDNN forward when gemm runs on oneDNN), so equal bit for bit.
  const bool fused = FusedLinear::available() && sgemm_library() == SgemmLibrary::kOneDnn;
  FusedLinear kernels;
  Tensor cur = x, next;
  for (size_t i = 0; i < mlp.depth(); ++i) {
    if (fused) {
      mlp.layer(i).forward_fused(cur, next, kernels);
    } else {
      mlp.layer(i).forward(cur, next);
    }
    cur = next;
  }
  bool differs = false;
  for (size_t i = 0; i < inference.size(); ++i) {
    EXPECT_EQ(inference.data()[i], cur.data()[i]);
    differs = differs || inference.data()[i] != training.data()[i];
  }
  EXPECT_TRUE(differs) << "dropout at rate 0.5 changed nothing in training mode";
  mlp.forward(x, ws, nullptr);
  for (size_t i = 0; i < inference.size(); ++i) EXPECT_EQ(ws.output().data()[i], inference.data()[i]);

  // Training again with the same seed reproduces the masks.
  Rng again(4);
  mlp.forward(x, ws, &again);
  for (size_t i = 0; i < training.size(); ++i) EXPECT_EQ(ws.output().data()[i], training.data()[i]);
}

TEST(Mlp, GradientsAccumulateUntilPrepare) {
  const MlpCase c{5, 7, {6, 3}, Activation::kTanh, Activation::kNone};
  Rng rng(11);
  Mlp mlp("mlp", c.in, c.sizes, c.hidden, c.last);
  mlp.init(rng);
  const Tensor x = random_tensor(c.batch, c.in, rng);
  const Tensor dy = random_tensor(c.batch, mlp.out(), rng);
  MlpWorkspace ws;
  mlp.prepare(ws);
  mlp.forward(x, ws, nullptr);
  mlp.backward(x, dy, ws, nullptr);
  std::vector<Tensor> once;
  for (Tensor* g : Mlp::gradients(ws)) once.push_back(*g);
  mlp.backward(x, dy, ws, nullptr);
  auto grads = Mlp::gradients(ws);
  for (size_t p = 0; p < grads.size(); ++p)
    for (size_t i = 0; i < grads[p]->size(); ++i) EXPECT_NEAR(grads[p]->data()[i], 2.0 * once[p].data()[i], 1e-5);
  mlp.prepare(ws);
  for (Tensor* g : Mlp::gradients(ws))
    for (float v : g->span()) EXPECT_EQ(v, 0.0f);
}

TEST(Mlp, ShapesNamesAndValidation) {
  Mlp mlp("top", 13, {8, 4, 1}, Activation::kRelu, Activation::kSigmoid);
  EXPECT_EQ(mlp.in(), 13u);
  EXPECT_EQ(mlp.out(), 1u);
  EXPECT_EQ(mlp.depth(), 3u);
  EXPECT_EQ(mlp.macs_per_example(), 13u * 8 + 8 * 4 + 4 * 1);
  EXPECT_EQ(mlp.layer(0).activation(), Activation::kRelu);
  EXPECT_EQ(mlp.layer(2).activation(), Activation::kSigmoid);
  const auto params = mlp.parameters();
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[0]->name, "top.0.weight");
  EXPECT_EQ(params[3]->name, "top.1.bias");
  MlpWorkspace ws;
  mlp.prepare(ws);
  const auto grads = Mlp::gradients(ws);
  ASSERT_EQ(grads.size(), params.size());
  for (size_t p = 0; p < params.size(); ++p) {
    EXPECT_EQ(grads[p]->rows(), params[p]->value.rows()) << params[p]->name;
    EXPECT_EQ(grads[p]->cols(), params[p]->value.cols()) << params[p]->name;
  }
  EXPECT_THROW(Mlp("bad", 3, {}, Activation::kRelu, Activation::kNone), Error);
  EXPECT_THROW(Mlp("bad", 3, {2}, Activation::kRelu, Activation::kNone, 1.0f), Error);
}

}  // namespace
}  // namespace reco::nn
