#include "reco/nn/blas.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "reco/core/error.h"
#include "reco/core/rng.h"
#include "unit/nn/gradient_check.h"

namespace reco::nn {
namespace {

using gradcheck::fill_uniform;

struct GemmShape {
  size_t m, n, k;
};

/// A [rows, cols] view into `storage` with row stride cols + pad, filled with noise (the
/// padding too, so reading it would show).
MatrixView strided(std::vector<float>& storage, size_t rows, size_t cols, size_t pad, Rng& rng) {
  const size_t stride = cols + pad;
  storage.assign(std::max<size_t>(rows * stride, 1), 0.0f);
  for (float& v : storage) v = 2.0f * rng.uniform_float() - 1.0f;
  return {storage.data(), rows, cols, stride};
}

double op_at(ConstMatrixView x, bool transpose, size_t r, size_t c) { return transpose ? x.at(c, r) : x.at(r, c); }

void check_gemm(SgemmLibrary lib, bool ta, bool tb, const GemmShape& s, size_t pad, float alpha, float beta,
                uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << sgemm_library_name(lib) << " ta " << ta << " tb " << tb << " m " << s.m << " n " << s.n << " k " << s.k
                                    << " pad " << pad << " alpha " << alpha << " beta " << beta);
  Rng rng(seed);
  std::vector<float> sa, sb, sc;
  MatrixView a = ta ? strided(sa, s.k, s.m, pad, rng) : strided(sa, s.m, s.k, pad, rng);
  MatrixView b = tb ? strided(sb, s.n, s.k, pad, rng) : strided(sb, s.k, s.n, pad, rng);
  MatrixView c = strided(sc, s.m, s.n, pad, rng);
  const std::vector<float> c_before = sc;
  gemm(lib, ta, tb, alpha, a, b, beta, c);
  for (size_t i = 0; i < s.m; ++i) {
    for (size_t j = 0; j < s.n; ++j) {
      double acc = 0.0, mag = 0.0;
      for (size_t p = 0; p < s.k; ++p) {
        const double t = op_at(a, ta, i, p) * op_at(b, tb, p, j);
        acc += t;
        mag += std::fabs(t);
      }
      const double old = c_before[i * c.stride + j];
      const double want = alpha * acc + beta * old;
      const double tol = 1e-6 * (std::fabs(alpha) * mag + std::fabs(beta * old)) + 1e-6;
      EXPECT_NEAR(c.at(i, j), want, tol) << "C[" << i << ", " << j << "]";
    }
    // Padding between rows is not written.
    for (size_t j = s.n; j < c.stride && i + 1 < s.m; ++j)
      EXPECT_EQ(sc[i * c.stride + j], c_before[i * c.stride + j]) << "padding C[" << i << ", " << j << "]";
  }
}

TEST(Gemm, AllTransposeCombinationsMatchNaiveLoop) {
  const std::vector<GemmShape> shapes = {{1, 1, 1}, {3, 5, 7}, {7, 13, 3}, {13, 7, 5}, {1, 9, 4}, {6, 1, 11},
                                         {33, 17, 65}};
  for (SgemmLibrary lib : available_sgemm_libraries()) {
    uint64_t seed = 1;
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const auto& s : shapes) {
          check_gemm(lib, ta, tb, s, /*pad=*/0, 1.0f, 0.0f, seed++);
          check_gemm(lib, ta, tb, s, /*pad=*/0, -0.5f, 1.0f, seed++);
        }
  }
}

TEST(Gemm, StridedViewsMatchNaiveLoop) {
  const std::vector<GemmShape> shapes = {{1, 1, 1}, {3, 5, 7}, {7, 13, 3}, {5, 4, 9}};
  for (SgemmLibrary lib : available_sgemm_libraries()) {
    uint64_t seed = 100;
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const auto& s : shapes)
          for (size_t pad : {1, 3, 16}) check_gemm(lib, ta, tb, s, pad, 2.0f, 0.5f, seed++);
  }
}

TEST(Gemm, BetaZeroIgnoresGarbageInC) {
  // Freshly resized activations hold whatever was there, NaN included: beta == 0 must not read C.
  for (SgemmLibrary lib : available_sgemm_libraries()) {
    SCOPED_TRACE(sgemm_library_name(lib));
    Rng rng(11);
    Tensor a = gradcheck::random_tensor(9, 6, rng);
    Tensor b = gradcheck::random_tensor(5, 6, rng);
    Tensor c(9, 5);
    c.fill(std::numeric_limits<float>::quiet_NaN());
    gemm(lib, false, true, 1.0f, a, b, 0.0f, c);
    for (size_t r = 0; r < 9; ++r)
      for (size_t j = 0; j < 5; ++j) {
        double want = 0.0;
        for (size_t p = 0; p < 6; ++p) want += static_cast<double>(a.at(r, p)) * b.at(j, p);
        EXPECT_NEAR(c.at(r, j), want, 1e-5) << r << ", " << j;
      }
  }
}

TEST(Gemm, LibrariesAgreeOnALayerSizedProduct) {
  // A DLRM top-MLP shape: oneDNN's and OpenBLAS's sums are ordered differently, so they agree
  // to rounding, not bit for bit.
  const auto libs = available_sgemm_libraries();
  if (libs.size() < 2) GTEST_SKIP() << "built without oneDNN: only OpenBLAS";
  Rng rng(5);
  Tensor x = gradcheck::random_tensor(130, 367, rng);
  Tensor w = gradcheck::random_tensor(70, 367, rng);
  Tensor y0(130, 70), y1(130, 70);
  gemm(SgemmLibrary::kOpenBlas, false, true, 1.0f, x, w, 0.0f, y0);
  gemm(SgemmLibrary::kOneDnn, false, true, 1.0f, x, w, 0.0f, y1);
  // Each sum has 367 terms of magnitude <= 1: rounding stays far below 1e-4.
  for (size_t i = 0; i < y0.size(); ++i) EXPECT_NEAR(y0.data()[i], y1.data()[i], 1e-4) << i;
}

TEST(Gemm, LibraryChoiceFromEnvironmentValue) {
  const SgemmLibrary fallback = available_sgemm_libraries().back();
  EXPECT_EQ(parse_sgemm_library(nullptr), fallback);
  EXPECT_EQ(parse_sgemm_library(""), fallback);
  EXPECT_EQ(parse_sgemm_library("openblas"), SgemmLibrary::kOpenBlas);
  EXPECT_EQ(sgemm_library_name(SgemmLibrary::kOneDnn), "onednn");
  try {
    parse_sgemm_library("mkl");
    ADD_FAILURE() << "accepted RECO_SGEMM=mkl";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("RECO_SGEMM=mkl"), std::string::npos) << e.what();
  }
  if (fallback == SgemmLibrary::kOneDnn) {
    EXPECT_EQ(parse_sgemm_library("onednn"), SgemmLibrary::kOneDnn);
  } else {
    EXPECT_THROW(parse_sgemm_library("onednn"), Error);
  }
}

TEST(Gemm, ColumnBlockOfAWiderBuffer) {
  // The layout the DLRM concatenation uses: C is a column block of a wider activation buffer.
  Rng rng(7);
  Tensor a = gradcheck::random_tensor(4, 3, rng);
  Tensor b = gradcheck::random_tensor(5, 3, rng);
  Tensor wide(4, 11);
  wide.fill(9.0f);
  gemm(false, true, 1.0f, a, b, 0.0f, wide.view().cols_slice(2, 5));
  for (size_t r = 0; r < 4; ++r) {
    for (size_t c = 0; c < 11; ++c) {
      if (c < 2 || c >= 7) {
        EXPECT_EQ(wide.at(r, c), 9.0f);
        continue;
      }
      double want = 0.0;
      for (size_t p = 0; p < 3; ++p) want += static_cast<double>(a.at(r, p)) * b.at(c - 2, p);
      EXPECT_NEAR(wide.at(r, c), want, 1e-6);
    }
  }
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  Tensor a(3, 0), b(0, 4);
  Tensor c(3, 4);
  c.fill(2.0f);
  gemm(false, false, 1.0f, a, b, 0.5f, c);
  for (float v : c.span()) EXPECT_EQ(v, 1.0f);
  // beta == 0 means C is not read (BLAS semantics): garbage such as NaN becomes zero.
  c.fill(std::numeric_limits<float>::quiet_NaN());
  gemm(false, false, 1.0f, a, b, 0.0f, c);
  for (float v : c.span()) EXPECT_EQ(v, 0.0f);
}

TEST(Gemm, ShapeMismatchThrows) {
  Tensor a(3, 4), b(5, 6), c(3, 6);
  auto expect_internal = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "gemm accepted mismatched shapes";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInternal);
      EXPECT_NE(std::string(e.what()).find("gemm shapes"), std::string::npos) << e.what();
    }
  };
  expect_internal([&] { gemm(false, false, 1.0f, a, b, 0.0f, c); });  // k 4 vs 5
  Tensor b2(4, 6), c_bad(4, 6);
  expect_internal([&] { gemm(false, false, 1.0f, a, b2, 0.0f, c_bad); });  // C rows
  expect_internal([&] { gemm(true, false, 1.0f, a, b2, 0.0f, c); });       // A^T is 4x3
  expect_internal([&] { gemm(false, true, 1.0f, a, b2, 0.0f, c); });       // B^T is 6x4
  EXPECT_NO_THROW(gemm(false, false, 1.0f, a, b2, 0.0f, c));
}

TEST(Gemm, SingleThreadedBlasIsIdempotent) {
  use_single_threaded_blas();
  use_single_threaded_blas();
  check_gemm(sgemm_library(), false, false, {8, 8, 8}, 0, 1.0f, 0.0f, 42);
}

}  // namespace
}  // namespace reco::nn
