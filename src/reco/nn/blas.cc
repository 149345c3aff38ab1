#include "reco/nn/blas.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "reco/core/error.h"

#ifdef RECO_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
extern "C" void omp_set_num_threads(int num_threads);  // libgomp, oneDNN's threading runtime
#endif

extern "C" void openblas_set_num_threads(int num_threads);

namespace reco::nn {

void use_single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

void use_single_threaded_onednn_here() {
#ifdef RECO_HAVE_DNNL
  thread_local const bool once = [] {
    omp_set_num_threads(1);
    return true;
  }();
  (void)once;
#endif
}

namespace {
#ifdef RECO_HAVE_DNNL
constexpr bool kHaveOneDnn = true;
#else
constexpr bool kHaveOneDnn = false;
#endif
}  // namespace

SgemmLibrary parse_sgemm_library(const char* value) {
  if (value == nullptr || *value == '\0') return kHaveOneDnn ? SgemmLibrary::kOneDnn : SgemmLibrary::kOpenBlas;
  const std::string want(value);
  if (want == "openblas") return SgemmLibrary::kOpenBlas;
  RECO_CHECK(want == "onednn") << "environment RECO_SGEMM=" << want << ": expected openblas or onednn";
  RECO_CHECK(kHaveOneDnn) << "environment RECO_SGEMM=onednn: reco was built without oneDNN (libdnnl-dev)";
  return SgemmLibrary::kOneDnn;
}

std::vector<SgemmLibrary> available_sgemm_libraries() {
  if (kHaveOneDnn) return {SgemmLibrary::kOpenBlas, SgemmLibrary::kOneDnn};
  return {SgemmLibrary::kOpenBlas};
}

SgemmLibrary sgemm_library() {
  static const SgemmLibrary library = parse_sgemm_library(std::getenv("RECO_SGEMM"));
  return library;
}

std::string_view sgemm_library_name(SgemmLibrary library) {
  return library == SgemmLibrary::kOneDnn ? "onednn" : "openblas";
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
  gemm(sgemm_library(), transpose_a, transpose_b, alpha, a, b, beta, c);
}

void gemm(SgemmLibrary library, bool transpose_a, bool transpose_b, float alpha, ConstMatrixView a,
          ConstMatrixView b, float beta, MatrixView c) {
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
  // A single row's stride is never used to step, but both libraries check ld >= cols (and >= 1).
  auto ld = [](size_t rows, size_t cols, size_t stride) {
    return static_cast<int>(std::max<size_t>(rows <= 1 ? std::max(stride, cols) : stride, 1));
  };
  const int lda = ld(a.rows, a.cols, a.stride);
  const int ldb = ld(b.rows, b.cols, b.stride);
  const int ldc = ld(c.rows, c.cols, c.stride);
#ifdef RECO_HAVE_DNNL
  if (library == SgemmLibrary::kOneDnn) {
    use_single_threaded_onednn_here();
    // Row-major, BLAS semantics (beta == 0 does not read C). It only fails on arguments
    // checked above, so a failure is a caller bug.
    const dnnl_status_t status =
        dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', static_cast<dnnl_dim_t>(m),
                   static_cast<dnnl_dim_t>(n), static_cast<dnnl_dim_t>(k), alpha, a.data, lda, b.data, ldb, beta,
                   c.data, ldc);
    RECO_CHECK_CODE(status == dnnl_success, ErrorCode::kInternal)
        << "dnnl_sgemm failed (status " << static_cast<int>(status) << ") on " << m << "x" << k << " by " << k
        << "x" << n;
    return;
  }
#else
  RECO_CHECK(library == SgemmLibrary::kOpenBlas) << "gemm: oneDNN requested, but reco was built without it";
#endif
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a.data, lda, b.data, ldb, beta,
              c.data, ldc);
}

double measure_sgemm_gflops(size_t n, int repeats) {
  use_single_threaded_blas();  // gemm sets oneDNN's team itself
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
