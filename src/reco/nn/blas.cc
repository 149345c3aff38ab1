#include "reco/nn/blas.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "reco/core/error.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace reco::nn {

void use_single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

GemmShape checked_gemm_shape(const char* what, bool transpose_a, bool transpose_b, size_t a_rows, size_t a_cols,
                             size_t b_rows, size_t b_cols, size_t c_rows, size_t c_cols) {
  const size_t m = transpose_a ? a_cols : a_rows;
  const size_t k = transpose_a ? a_rows : a_cols;
  const size_t kb = transpose_b ? b_cols : b_rows;
  const size_t n = transpose_b ? b_rows : b_cols;
  RECO_CHECK_CODE(k == kb && c_rows == m && c_cols == n, ErrorCode::kInternal)
      << what << " shapes: op(A) " << m << "x" << k << ", op(B) " << kb << "x" << n << ", C " << c_rows << "x"
      << c_cols;
  return {m, k, n};
}

void gemm(bool transpose_a, bool transpose_b, float alpha, ConstMatrixView a, ConstMatrixView b, float beta,
          MatrixView c) {
  const auto [m, k, n] =
      checked_gemm_shape("gemm", transpose_a, transpose_b, a.rows, a.cols, b.rows, b.cols, c.rows, c.cols);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS would leave C untouched for beta == 1 but must scale otherwise. beta == 0 means
    // C is not read (freshly resized buffers hold garbage, possibly NaN): write zeros.
    for (size_t r = 0; r < m; ++r)
      for (size_t j = 0; j < n; ++j) c.row(r)[j] = beta == 0.0f ? 0.0f : c.row(r)[j] * beta;
    return;
  }
  // A stride of at least 1 keeps BLAS's leading-dimension checks happy for single rows.
  const int lda = static_cast<int>(std::max<size_t>(a.stride, 1));
  const int ldb = static_cast<int>(std::max<size_t>(b.stride, 1));
  const int ldc = static_cast<int>(std::max<size_t>(c.stride, 1));
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a.data, lda, b.data, ldb, beta,
              c.data, ldc);
}

double measure_sgemm_gflops(size_t n, int repeats) {
  use_single_threaded_blas();
  Tensor a(n, n), b(n, n), c(n, n);
  a.fill(0.5f);
  b.fill(0.25f);
  std::vector<double> rates;
  for (int i = 0; i < std::max(repeats, 1) + 1; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    gemm(false, false, 1.0f, a, b, 0.0f, c);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i > 0) rates.push_back(2.0 * n * n * n / s / 1e9);  // the first call warms caches and pages
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace reco::nn
