#include "reco/nn/layer_norm.h"

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

const std::vector<std::pair<size_t, size_t>> kShapes = {{1, 1}, {1, 2}, {3, 5}, {7, 13}, {2, 64}};

TEST(LayerNorm, ForwardMatchesFormula) {
  uint64_t seed = 1;
  for (auto [rows, dim] : kShapes) {
    Rng rng(seed++);
    LayerNorm ln("ln", dim);
    fill_uniform(ln.gamma().value, rng, 0.5f, 1.5f);
    fill_uniform(ln.beta().value, rng, -0.5f, 0.5f);
    const Tensor x = random_tensor(rows, dim, rng, -3.0f, 5.0f);
    Tensor y;
    LayerNormCache cache;
    ln.forward(x, y, cache);
    ASSERT_EQ(y.rows(), rows);
    ASSERT_EQ(y.cols(), dim);
    for (size_t r = 0; r < rows; ++r) {
      double mean = 0.0, var = 0.0;
      for (size_t j = 0; j < dim; ++j) mean += x.at(r, j);
      mean /= dim;
      for (size_t j = 0; j < dim; ++j) var += (x.at(r, j) - mean) * (x.at(r, j) - mean);
      var /= dim;
      for (size_t j = 0; j < dim; ++j) {
        const double want = ln.gamma().value.at(0, j) * (x.at(r, j) - mean) / std::sqrt(var + 1e-5) +
                            ln.beta().value.at(0, j);
        EXPECT_NEAR(y.at(r, j), want, 1e-5) << rows << "x" << dim << " [" << r << ", " << j << "]";
      }
    }
  }
}

TEST(LayerNorm, GradientsMatchFiniteDifferences) {
  uint64_t seed = 10;
  for (auto [rows, dim] : kShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << dim);
    Rng rng(seed++);
    // epsilon 1e-3 keeps the dim-1 case (variance 0) smooth; the larger rows use the default.
    LayerNorm ln("ln", dim, dim == 1 ? 1e-3f : 1e-5f);
    fill_uniform(ln.gamma().value, rng, 0.5f, 1.5f);
    fill_uniform(ln.beta().value, rng, -0.5f, 0.5f);
    Tensor x = random_tensor(rows, dim, rng, -2.0f, 2.0f);
    const Tensor weights = random_tensor(rows, dim, rng);
    Tensor y;
    LayerNormCache cache;
    auto loss = [&] {
      ln.forward(x, y, cache);
      return linear_functional(y, weights);
    };
    ln.forward(x, y, cache);
    Tensor gg(1, dim), gb(1, dim), dx;
    ln.backward(weights, cache, gg, gb, &dx);
    const Tensor gg_once = gg, gb_once = gb;
    EXPECT_TRUE(check_gradient("gamma", ln.gamma().value, gg, loss));
    EXPECT_TRUE(check_gradient("beta", ln.beta().value, gb, loss));
    EXPECT_TRUE(check_gradient("input", x, dx, loss));
    // Parameter gradients accumulate; without dx they are still produced.
    ln.forward(x, y, cache);
    ln.backward(weights, cache, gg, gb, nullptr);
    for (size_t j = 0; j < dim; ++j) {
      EXPECT_NEAR(gg.at(0, j), 2.0 * gg_once.at(0, j), 1e-5);
      EXPECT_NEAR(gb.at(0, j), 2.0 * gb_once.at(0, j), 1e-5);
    }
  }
}

TEST(LayerNorm, InitialisesToIdentityAffine) {
  LayerNorm ln("ln", 4);
  EXPECT_EQ(ln.dim(), 4u);
  for (float g : ln.gamma().value.span()) EXPECT_EQ(g, 1.0f);
  for (float b : ln.beta().value.span()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(ln.gamma().name, "ln.gamma");
  EXPECT_FALSE(ln.gamma().decay);
  EXPECT_THROW(LayerNorm("ln", 0), Error);
}

}  // namespace
}  // namespace reco::nn
