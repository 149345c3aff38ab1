// FusedLinear (oneDNN matmul with bias and ReLU as post-ops) against Linear::forward, the
// unfused reference, for every activation, block tails and strided inputs; and its cache bound.
#include "reco/nn/fused_linear.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/nn/linear.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::fill_uniform;
using gradcheck::random_tensor;

#define SKIP_WITHOUT_ONEDNN() \
  if (!FusedLinear::available()) GTEST_SKIP() << "built without oneDNN: no fused forward"

struct Shape {
  size_t batch, in, out;
};
// Batches below, at and past one block (64 rows), with a tail; the DLRM layer sizes.
const Shape kShapes[] = {{1, 1, 1}, {3, 5, 2}, {64, 13, 512}, {130, 367, 17}, {200, 64, 16}, {65, 256, 1}};
const Activation kActivations[] = {Activation::kNone, Activation::kRelu, Activation::kSigmoid, Activation::kTanh};

TEST(FusedLinear, MatchesUnfusedForwardForEveryActivation) {
  SKIP_WITHOUT_ONEDNN();
  for (const Shape& s : kShapes)
    for (Activation act : kActivations) {
      SCOPED_TRACE(::testing::Message() << s.batch << "x" << s.in << " -> " << s.out << " " << activation_name(act));
      Rng rng(s.batch * 31 + s.in * 7 + s.out + static_cast<int>(act));
      Linear layer("fc", s.in, s.out, act);
      layer.init(rng);
      fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);
      const Tensor x = random_tensor(s.batch, s.in, rng);
      Tensor want, got;
      FusedLinear fused;
      layer.forward(x, want);
      got.fill(std::nanf(""));
      layer.forward_fused(x, got, fused);
      ASSERT_EQ(got.rows(), s.batch);
      ASSERT_EQ(got.cols(), s.out);
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got.data()[i], want.data()[i], 1e-5 * (1.0 + std::sqrt(static_cast<double>(s.in)))) << i;
    }
}

TEST(FusedLinear, ReadsAStridedInputAndWritesAStridedOutput) {
  SKIP_WITHOUT_ONEDNN();
  // x is a column block of a wider buffer (the DLRM concatenation's layout); y likewise, and the
  // columns around it must stay untouched.
  Rng rng(3);
  Linear layer("fc", 6, 5, Activation::kRelu);
  layer.init(rng);
  fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);
  Tensor wide_x = random_tensor(70, 11, rng);
  const ConstMatrixView x = wide_x.view().cols_slice(2, 6);
  Tensor dense_x(70, 6);
  for (size_t r = 0; r < 70; ++r)
    for (size_t c = 0; c < 6; ++c) dense_x.at(r, c) = x.at(r, c);
  Tensor want;
  layer.forward(dense_x, want);
  Tensor wide_y(70, 9);
  wide_y.fill(7.0f);
  FusedLinear fused;
  fused.forward(x, layer.weight().value, layer.bias().value.data(), Activation::kRelu,
                wide_y.view().cols_slice(3, 5));
  for (size_t r = 0; r < 70; ++r)
    for (size_t c = 0; c < 9; ++c) {
      if (c < 3 || c >= 8) {
        EXPECT_EQ(wide_y.at(r, c), 7.0f) << r << ", " << c;
      } else {
        EXPECT_NEAR(wide_y.at(r, c), want.at(r, c - 3), 1e-5) << r << ", " << c;
      }
    }
}

TEST(FusedLinear, NoBiasAndEmptyInput) {
  SKIP_WITHOUT_ONEDNN();
  Rng rng(9);
  const Tensor w = random_tensor(4, 3, rng);
  const Tensor x = random_tensor(5, 3, rng);
  Tensor y(5, 4);
  FusedLinear fused;
  fused.forward(x, w, nullptr, Activation::kNone, y);
  for (size_t r = 0; r < 5; ++r)
    for (size_t o = 0; o < 4; ++o) {
      double z = 0.0;
      for (size_t i = 0; i < 3; ++i) z += static_cast<double>(x.at(r, i)) * w.at(o, i);
      EXPECT_NEAR(y.at(r, o), z, 1e-5);
    }
  Tensor none(0, 3), y0(0, 4);
  fused.forward(none, w, nullptr, Activation::kRelu, y0);  // no rows: nothing to do
  Tensor bad(5, 2);
  EXPECT_THROW(fused.forward(x, w, nullptr, Activation::kNone, bad), Error);
}

TEST(FusedLinear, OneOutputLayerIsARowDotForEveryWidthAndStride) {
  SKIP_WITHOUT_ONEDNN();
  // A one-output layer (a head) skips the matmul: four rows at a time, 16-float lanes and a
  // scalar tail of columns. Widths around the lane size, row counts around the four-row step,
  // a strided x and a strided one-column y; the columns around y stay untouched.
  for (size_t in : {1, 15, 16, 17, 33, 368})
    for (size_t batch : {1, 3, 4, 5, 9, 257})
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(::testing::Message() << batch << "x" << in << (with_bias ? " bias" : ""));
        Rng rng(in * 1000 + batch * 2 + with_bias);
        const Tensor w = random_tensor(1, in, rng);
        const float bias = 0.375f;
        Tensor wide_x = random_tensor(batch, in + 3, rng);
        const ConstMatrixView x = wide_x.view().cols_slice(1, in);
        Tensor wide_y(batch, 3);
        wide_y.fill(7.0f);
        FusedLinear fused;
        fused.forward(x, w, with_bias ? &bias : nullptr, Activation::kRelu, wide_y.view().cols_slice(1, 1));
        for (size_t r = 0; r < batch; ++r) {
          double z = with_bias ? bias : 0.0;
          for (size_t i = 0; i < in; ++i) z += static_cast<double>(x.at(r, i)) * w.at(0, i);
          EXPECT_NEAR(wide_y.at(r, 1), std::max(z, 0.0), 1e-5 * (1.0 + std::sqrt(static_cast<double>(in)))) << r;
          EXPECT_EQ(wide_y.at(r, 0), 7.0f) << r;
          EXPECT_EQ(wide_y.at(r, 2), 7.0f) << r;
        }
      }
}

TEST(FusedLinear, CacheHoldsBlockAndTailPrimitivesOnly) {
  SKIP_WITHOUT_ONEDNN();
  // A server scores batches of every size: the cache must not grow with the batch sizes seen.
  Rng rng(5);
  Linear layer("fc", 8, 4, Activation::kRelu);
  layer.init(rng);
  FusedLinear fused;
  Tensor y;
  for (size_t batch = 1; batch <= 3 * FusedLinear::kBlockRows + 5; ++batch) {
    const Tensor x = random_tensor(batch, 8, rng);
    layer.forward_fused(x, y, fused);
  }
  // one full block + one primitive per power-of-two tail piece, for each weights layout (plain
  // for single-block calls, packed for calls of several blocks)
  EXPECT_LE(fused.cached(), 2 * (1 + static_cast<size_t>(std::bit_width(FusedLinear::kBlockRows - 1))));
  const size_t before = fused.cached();
  const Tensor x = random_tensor(1000, 8, rng);
  layer.forward_fused(x, y, fused);
  EXPECT_EQ(fused.cached(), before);
}

// Scores of `rows` rows computed by single-row calls: one block each, so W is never packed.
Tensor one_row_at_a_time(const Linear& layer, const Tensor& x) {
  FusedLinear fused;
  Tensor y(x.rows(), layer.out()), row;
  for (size_t r = 0; r < x.rows(); ++r) {
    layer.forward_fused(x.view().rows_slice(r, 1), row, fused);
    for (size_t c = 0; c < layer.out(); ++c) y.at(r, c) = row.at(0, c);
  }
  EXPECT_EQ(fused.packs_made(), 0u);
  return y;
}

TEST(FusedLinear, PackedWeightsGiveThePlainResults) {
  SKIP_WITHOUT_ONEDNN();
  // A call of several blocks runs on a packed copy of W: same products, same results to rounding.
  Rng rng(31);
  Linear layer("fc", 367, 40, Activation::kRelu);
  layer.init(rng);
  fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);
  const Tensor x = random_tensor(2 * FusedLinear::kBlockRows + 37, 367, rng);
  const Tensor want = one_row_at_a_time(layer, x);
  FusedLinear fused;
  Tensor got;
  layer.forward_fused(x, got, fused);
  EXPECT_EQ(fused.packs_made(), 1u);  // once for the 5 blocks (256 + 256 + 32 + 4 + 1 rows)
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data()[i], want.data()[i], 1e-5 * 20) << i;
}

TEST(FusedLinear, FrozenScopePacksOnceAndANewScopeSeesNewWeights) {
  SKIP_WITHOUT_ONEDNN();
  Rng rng(32);
  Linear layer("fc", 64, 24, Activation::kNone);
  layer.init(rng);
  const Tensor x = random_tensor(8, 64, rng);
  FusedLinear fused;
  Tensor y;
  {
    FrozenWeights frozen;
    for (size_t r = 0; r < x.rows(); ++r) layer.forward_fused(x.view().rows_slice(r, 1), y, fused);
    FrozenWeights nested;  // joins the outer scope
    layer.forward_fused(x.view().rows_slice(0, 1), y, fused);
  }
  EXPECT_EQ(fused.packs_made(), 1u);  // 9 single-row calls, one reorder of W
  // The weights change (an optimizer step): a call outside any scope and a new scope both read
  // the new values, never the pack of the old ones.
  for (float& w : layer.weight().value.span()) w *= -2.0f;
  const Tensor want = one_row_at_a_time(layer, x);
  Tensor got;
  layer.forward_fused(x, got, fused);  // 8 rows in one block: plain
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data()[i], want.data()[i], 1e-4) << i;
  {
    FrozenWeights frozen;
    for (size_t r = 0; r < x.rows(); ++r) {
      layer.forward_fused(x.view().rows_slice(r, 1), y, fused);
      for (size_t c = 0; c < y.cols(); ++c) EXPECT_NEAR(y.at(0, c), want.at(r, c), 1e-4) << r << ", " << c;
    }
  }
  EXPECT_EQ(fused.packs_made(), 2u);
  // A call of several blocks outside a scope packs for itself, every call.
  const Tensor big = random_tensor(3 * FusedLinear::kBlockRows, 64, rng);
  layer.forward_fused(big, got, fused);
  layer.forward_fused(big, got, fused);
  EXPECT_EQ(fused.packs_made(), 4u);
}

TEST(FusedLinear, AFrozenIdKeepsItsPacksAcrossScopes) {
  SKIP_WITHOUT_ONEDNN();
  Rng rng(33);
  Linear layer("fc", 64, 24, Activation::kRelu);
  layer.init(rng);
  const Tensor x = random_tensor(8, 64, rng);  // one block: packed only inside a scope
  const Tensor want = one_row_at_a_time(layer, x);
  FusedLinear fused;
  Tensor y;
  const uint64_t id = FrozenWeights::new_id();
  for (int scope = 0; scope < 3; ++scope) {
    FrozenWeights frozen(id);
    EXPECT_EQ(frozen.id(), id);
    layer.forward_fused(x, y, fused);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.data()[i], want.data()[i], 1e-4) << i;
  }
  EXPECT_EQ(fused.packs_made(), 1u);  // three scopes under one id: one reorder
  {
    FrozenWeights outer;
    {
      FrozenWeights adopted(id);  // an id inside another scope: its packs, then the outer scope again
      layer.forward_fused(x, y, fused);
      EXPECT_EQ(fused.packs_made(), 1u);
    }
    FrozenWeights nested;
    EXPECT_EQ(nested.id(), outer.id());
    layer.forward_fused(x, y, fused);
    EXPECT_EQ(fused.packs_made(), 2u);
  }
  layer.forward_fused(x, y, fused);  // outside every scope: one block, plain weights
  EXPECT_EQ(fused.packs_made(), 2u);
  EXPECT_THROW(FrozenWeights(0), Error);
  EXPECT_THROW(FrozenWeights(FrozenWeights::new_id() + 1000), Error);
}

TEST(FusedLinear, Bf16InputsMatchFp32WithinRounding) {
  SKIP_WITHOUT_ONEDNN();
  std::string why;
  if (!bf16_supported(&why)) GTEST_SKIP() << "no native bf16 matmul: " << why;
  Rng rng(21);
  Linear layer("fc", 96, 40, Activation::kRelu);
  layer.init(rng);
  fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);
  const Tensor x = random_tensor(150, 96, rng);
  Tensor want, got;
  layer.forward(x, want);
  FusedLinear fused;
  LinearBf16Cache cache;
  layer.forward_bf16(x, got, fused, cache);
  for (size_t r = 0; r < 150; ++r)
    for (size_t o = 0; o < 40; ++o) {
      double mag = std::fabs(layer.bias().value.at(0, o));
      for (size_t i = 0; i < 96; ++i) mag += std::fabs(x.at(r, i) * layer.weight().value.at(o, i));
      // relu is 1-Lipschitz, so the pre-activation's bf16 bound carries over.
      EXPECT_NEAR(got.at(r, o), want.at(r, o), std::ldexp(mag, -7)) << r << ", " << o;
    }
}

}  // namespace
}  // namespace reco::nn
