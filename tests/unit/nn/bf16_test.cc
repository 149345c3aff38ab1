// bf16 mixed precision (bf16_gemm.h, Linear::*_bf16, Mlp precision): rounding, and bf16 layers
// against the fp32 layers on random data. Each comparison bounds the error element-wise by
// the magnitude of the sum it came from: |bf16 - exact| <= kRel * sum_i |a_i b_i|, where two
// bf16 roundings (2^-9 relative each) bound kRel by ~2^-8. A wrong transpose, layout or
// missing accumulation gives errors of the order of the sum itself.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "reco/nn/bf16_gemm.h"
#include "reco/nn/linear.h"
#include "reco/nn/mlp.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::fill_uniform;
using gradcheck::random_tensor;

constexpr double kRel = 1.0 / 128;  // 2^-7: twice the bf16 product bound, for fp32 summation too

#define SKIP_WITHOUT_BF16()                                                   \
  do {                                                                        \
    std::string why;                                                          \
    if (!bf16_supported(&why)) GTEST_SKIP() << "no native bf16 matmul: " << why; \
  } while (0)

TEST(Bf16, RoundsToNearestEven) {
  Tensor t(1, 6);
  const float one_plus_half_ulp = 1.0f + 0x1.0p-8f;        // halfway between 1 and 1+2^-7: to even (1)
  const float three_halves_ulp = 1.0f + 3 * 0x1.0p-8f;     // halfway between 1+2^-7 and 1+2^-6: to even
  const float just_above_half = 1.0f + 0x1.0p-8f + 0x1.0p-20f;  // above halfway: up
  t.at(0, 0) = 1.0f;
  t.at(0, 1) = one_plus_half_ulp;
  t.at(0, 2) = three_halves_ulp;
  t.at(0, 3) = just_above_half;
  t.at(0, 4) = -2.5f;
  t.at(0, 5) = std::numeric_limits<float>::quiet_NaN();
  Bf16Matrix b;
  to_bf16(t, b);
  ASSERT_EQ(b.rows, 1u);
  ASSERT_EQ(b.cols, 6u);
  EXPECT_EQ(bf16_to_float(b.data[0]), 1.0f);
  EXPECT_EQ(bf16_to_float(b.data[1]), 1.0f);
  EXPECT_EQ(bf16_to_float(b.data[2]), 1.0f + 0x1.0p-6f);
  EXPECT_EQ(bf16_to_float(b.data[3]), 1.0f + 0x1.0p-7f);
  EXPECT_EQ(bf16_to_float(b.data[4]), -2.5f);
  EXPECT_TRUE(std::isnan(bf16_to_float(b.data[5])));
}

// Independent reference: of the two bf16 neighbours of f, the nearer in value, ties to even.
uint16_t reference_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  if (std::isinf(f)) return static_cast<uint16_t>(u >> 16);
  const uint32_t lo = u & 0xffff0000u;
  const uint32_t hi = lo + 0x10000u;  // next bf16 away from zero
  float flo, fhi;
  std::memcpy(&flo, &lo, sizeof(flo));
  std::memcpy(&fhi, &hi, sizeof(fhi));
  // Past the largest finite bf16, IEEE rounds as if the next value were 2^128 (then gives inf).
  const double vhi = std::isinf(fhi) ? std::copysign(std::ldexp(1.0, 128), f) : fhi;
  const double dlo = std::fabs(static_cast<double>(f) - flo), dhi = std::fabs(vhi - f);
  if (dlo < dhi || (dlo == dhi && ((lo >> 16) & 1u) == 0)) return static_cast<uint16_t>(lo >> 16);
  return static_cast<uint16_t>(hi >> 16);
}

TEST(Bf16, ConversionMatchesReferenceOnRandomBits) {
  // Random bit patterns (all exponents: denormals, huge values, NaN, inf), a row length that is
  // not a multiple of the 16-wide vector loop, and a strided view.
  Rng rng(17);
  Tensor wide(31, 45);
  const uint32_t low_halves[] = {0x8000u, 0x7fffu, 0x8001u};  // ties (to even), just below, just above
  size_t i = 0;
  for (float& v : wide.span()) {
    auto bits = static_cast<uint32_t>(rng.next());
    if (i % 2 == 0) bits = (bits & 0xffff0000u) | low_halves[(i / 2) % 3];
    ++i;
    std::memcpy(&v, &bits, sizeof(v));
  }
  wide.at(0, 0) = std::numeric_limits<float>::infinity();
  wide.at(0, 1) = -std::numeric_limits<float>::infinity();
  wide.at(0, 2) = std::numeric_limits<float>::denorm_min();
  wide.at(0, 3) = std::numeric_limits<float>::max();
  for (const ConstMatrixView v : {ConstMatrixView(wide.view()), ConstMatrixView(wide.view().cols_slice(3, 37))}) {
    Bf16Matrix b;
    to_bf16(v, b);
    ASSERT_EQ(b.data.size(), v.rows * v.cols);
    for (size_t r = 0; r < v.rows; ++r)
      for (size_t c = 0; c < v.cols; ++c) {
        const float f = v.at(r, c);
        const uint16_t got = b.data[r * v.cols + c];
        if (std::isnan(f)) {
          EXPECT_TRUE(std::isnan(bf16_to_float(got))) << r << "," << c;
        } else {
          ASSERT_EQ(got, reference_bf16(f)) << "value " << f << " at " << r << "," << c;
        }
      }
  }
}

// Element-wise: |got - want| <= kRel * scale + 1e-6 where scale[i] = sum of |terms|.
void expect_close(const Tensor& got, const Tensor& want, const std::vector<double>& scale, const char* what) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.cols(), want.cols());
  double worst = 0.0;
  for (size_t r = 0; r < got.rows(); ++r)
    for (size_t c = 0; c < got.cols(); ++c) {
      const double err = std::fabs(static_cast<double>(got.at(r, c)) - want.at(r, c));
      const double bound = kRel * scale[r * got.cols() + c] + 1e-6;
      worst = std::max(worst, err / bound);
      ASSERT_LE(err, bound) << what << " at (" << r << ", " << c << "): bf16 " << got.at(r, c) << ", fp32 "
                            << want.at(r, c);
    }
  ::testing::Test::RecordProperty(std::string(what) + "_worst_error_over_bound", std::to_string(worst));
}

// |A| |op(B)| products: the scale of each element of op(A) op(B).
std::vector<double> abs_product(const Tensor& a, bool ta, const Tensor& b, bool tb) {
  const size_t m = ta ? a.cols() : a.rows(), k = ta ? a.rows() : a.cols(), n = tb ? b.rows() : b.cols();
  std::vector<double> s(m * n, 0.0);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (size_t p = 0; p < k; ++p)
        acc += std::fabs(static_cast<double>(ta ? a.at(p, i) : a.at(i, p)) * (tb ? b.at(j, p) : b.at(p, j)));
      s[i * n + j] = acc;
    }
  return s;
}

struct Shape {
  size_t batch, in, out;
};
const Shape kShapes[] = {{1, 1, 1}, {7, 13, 3}, {64, 367, 512}, {33, 512, 1}, {5, 16, 64}};

TEST(Bf16, LinearForwardAndBackwardMatchFp32) {
  SKIP_WITHOUT_BF16();
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << s.batch << "x" << s.in << " -> " << s.out);
    Rng rng(s.batch * 131 + s.in * 7 + s.out);
    Linear layer("fc", s.in, s.out, Activation::kNone);  // linear: the GEMMs alone are compared
    layer.init(rng);
    fill_uniform(layer.bias().value, rng, -0.5f, 0.5f);
    const Tensor x = random_tensor(s.batch, s.in, rng);
    Tensor y32, y16;
    Bf16Gemm gemm;
    FusedLinear fused;
    LinearBf16Cache cache;
    layer.forward(x, y32);
    layer.forward_bf16(x, y16, fused, cache);
    std::vector<double> scale = abs_product(x, false, layer.weight().value, true);
    for (size_t r = 0; r < s.batch; ++r)
      for (size_t o = 0; o < s.out; ++o) scale[r * s.out + o] += std::fabs(layer.bias().value.at(0, o));
    expect_close(y16, y32, scale, "forward");

    // Backward: dW accumulates into a non-zero buffer; dx overwrites.
    const Tensor dy = random_tensor(s.batch, s.out, rng);
    Tensor dy32 = dy, dy16 = dy;
    Tensor gw32 = random_tensor(s.out, s.in, rng), gb32(1, s.out), dx32, dx16;
    gb32.zero();
    Tensor gw16 = gw32, gb16 = gb32;
    layer.backward(x, y32, dy32, gw32, gb32, &dx32);
    layer.backward_bf16(x, y16, dy16, gw16, gb16, &dx16, gemm, cache);
    std::vector<double> gscale = abs_product(dy, true, x, false);
    expect_close(gw16, gw32, gscale, "grad_weight");
    expect_close(dx16, dx32, abs_product(dy, false, layer.weight().value, false), "dx");
    for (size_t o = 0; o < s.out; ++o) EXPECT_EQ(gb16.at(0, o), gb32.at(0, o)) << "bias gradients stay fp32";
  }
}

TEST(Bf16, GemmReadsBf16Inputs) {
  // The bf16 product equals the exact product of the bf16-rounded inputs (up to fp32
  // summation), and differs from the fp32 product: the path really rounds its inputs.
  SKIP_WITHOUT_BF16();
  Rng rng(11);
  const Tensor a = random_tensor(48, 200, rng), b = random_tensor(200, 40, rng);
  Bf16Matrix a16, b16;
  to_bf16(a, a16);
  to_bf16(b, b16);
  Tensor c(48, 40);
  Bf16Gemm gemm;
  gemm.gemm(false, false, a16, b16, false, c);
  double max_vs_fp32 = 0.0;
  for (size_t i = 0; i < 48; ++i)
    for (size_t j = 0; j < 40; ++j) {
      double exact16 = 0.0, exact32 = 0.0, scale = 0.0;
      for (size_t p = 0; p < 200; ++p) {
        exact16 += static_cast<double>(bf16_to_float(a16.data[i * 200 + p])) * bf16_to_float(b16.data[p * 40 + j]);
        exact32 += static_cast<double>(a.at(i, p)) * b.at(p, j);
        scale += std::fabs(static_cast<double>(a.at(i, p)) * b.at(p, j));
      }
      EXPECT_NEAR(c.at(i, j), exact16, 1e-5 * scale + 1e-6);
      max_vs_fp32 = std::max(max_vs_fp32, std::fabs(c.at(i, j) - exact32));
    }
  EXPECT_GT(max_vs_fp32, 1e-4) << "bf16 results equal fp32 ones: inputs were not rounded";
}

TEST(Bf16, StridedOutputAndAccumulate) {
  SKIP_WITHOUT_BF16();
  Rng rng(3);
  const Tensor a = random_tensor(9, 5, rng), b = random_tensor(7, 5, rng);  // C = A B^T, [9, 7]
  Bf16Matrix a16, b16;
  to_bf16(a, a16);
  to_bf16(b, b16);
  Tensor wide = random_tensor(9, 12, rng);
  const Tensor before = wide;
  Bf16Gemm gemm;
  gemm.gemm(false, true, a16, b16, true, wide.view().cols_slice(2, 7));
  for (size_t i = 0; i < 9; ++i)
    for (size_t j = 0; j < 12; ++j) {
      if (j < 2 || j >= 9) {
        EXPECT_EQ(wide.at(i, j), before.at(i, j)) << "outside the view";
        continue;
      }
      double want = before.at(i, j);
      for (size_t p = 0; p < 5; ++p)
        want += static_cast<double>(bf16_to_float(a16.data[i * 5 + p])) * bf16_to_float(b16.data[(j - 2) * 5 + p]);
      EXPECT_NEAR(wide.at(i, j), want, 1e-5);
    }
}

TEST(Bf16, MlpMatchesFp32AndReusesPrimitives) {
  SKIP_WITHOUT_BF16();
  Rng rng(5);
  Mlp fp32("m", 13, {64, 32, 1}, Activation::kRelu, Activation::kNone);
  fp32.init(rng);
  Mlp bf16 = fp32;
  bf16.set_precision(Precision::kBf16);
  EXPECT_EQ(bf16.precision(), Precision::kBf16);
  const Tensor x = random_tensor(50, 13, rng);
  const Tensor dy = random_tensor(50, 1, rng);
  MlpWorkspace w32, w16;
  fp32.prepare(w32);
  bf16.prepare(w16);
  size_t primitives = 0;
  for (int step = 0; step < 2; ++step) {
    fp32.forward(x, w32, nullptr);
    bf16.forward(x, w16, nullptr);
    fp32.backward(x, dy, w32, nullptr);
    bf16.backward(x, dy, w16, nullptr);
    if (step == 0) primitives = w16.fused.cached() + w16.bf16_gemm.cached();
  }
  // 3 forward layers, each run as the power-of-two pieces of its 50 rows (32 + 16 + 2: three
  // fused primitives a layer), + 3 dW + 2 dx products, each created once and reused on the
  // second step.
  const size_t pieces = static_cast<size_t>(std::popcount(50u));
  EXPECT_EQ(w16.fused.cached(), 3 * pieces);
  EXPECT_EQ(primitives, 3 * pieces + 5);
  EXPECT_EQ(w16.fused.cached() + w16.bf16_gemm.cached(), primitives);
  // Three layers of rounding: compare against the output's scale rather than per product.
  double scale = 0.0, worst = 0.0;
  for (size_t r = 0; r < 50; ++r) scale = std::max(scale, static_cast<double>(std::fabs(w32.output().at(r, 0))));
  for (size_t r = 0; r < 50; ++r) worst = std::max(worst, static_cast<double>(std::fabs(w16.output().at(r, 0) - w32.output().at(r, 0))));
  EXPECT_LE(worst, 0.03 * scale + 1e-4);
  for (size_t l = 0; l < 3; ++l) {
    const Tensor& g32 = w32.grad_weight[l];
    const Tensor& g16 = w16.grad_weight[l];
    double norm = 0.0, diff = 0.0;
    for (size_t i = 0; i < g32.size(); ++i) {
      norm += static_cast<double>(g32.data()[i]) * g32.data()[i];
      diff += static_cast<double>(g16.data()[i] - g32.data()[i]) * (g16.data()[i] - g32.data()[i]);
    }
    EXPECT_GT(norm, 0.0);
    EXPECT_LE(std::sqrt(diff), 0.03 * std::sqrt(norm)) << "layer " << l << " weight gradient";
  }
}

TEST(Bf16, CopiedGemmStartsEmpty) {
  SKIP_WITHOUT_BF16();
  Bf16Gemm g;
  Bf16Matrix a, b;
  Tensor t(2, 2);
  t.zero();
  to_bf16(t, a);
  to_bf16(t, b);
  Tensor c(2, 2);
  g.gemm(false, false, a, b, false, c);
  EXPECT_EQ(g.cached(), 1u);
  Bf16Gemm copy = g;
  EXPECT_EQ(copy.cached(), 0u);
  copy.gemm(false, false, a, b, false, c);
  EXPECT_EQ(copy.cached(), 1u);
}

TEST(Bf16, PrecisionNames) {
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp32"), Precision::kFp32);
  EXPECT_EQ(precision_name(Precision::kBf16), "bf16");
  EXPECT_THROW(parse_precision("fp16"), Error);
}

}  // namespace
}  // namespace reco::nn
