// Thin, checked fp32 GEMM wrappers for row-major views, run by one of two libraries:
//   oneDNN   (dnnl_sgemm) when reco is built with libdnnl-dev — the default: its AVX-512 kernels
//            run the DLRM shapes at about twice the GFLOP/s of Debian OpenBLAS 0.3.21, whose
//            kernels stop at AVX2 on the AVX-512 CPUs measured (docs/design.md, benchmarks.md);
//   OpenBLAS (cblas_sgemm) otherwise, or when the environment says RECO_SGEMM=openblas.
// Both run single-threaded on the calling thread: reco shards a batch over its own workers and
// every worker calls sgemm on its shard, so library threads would only oversubscribe.
// Results agree to rounding (~1e-6 relative), not bit for bit, between the two libraries; each
// is deterministic for a given shape on one machine.
#pragma once

#include <string_view>
#include <vector>

#include "reco/nn/tensor.h"

namespace reco::nn {

/// Sets OpenBLAS to one thread. Idempotent; called by every trainer/scorer at start. (oneDNN's
/// team is set per calling thread by gemm itself: see use_single_threaded_onednn_here.)
void use_single_threaded_blas();
/// Sets oneDNN's OpenMP team on the calling thread to one thread (once per thread; a no-op
/// without oneDNN). gemm and Bf16Gemm call it before every oneDNN call.
void use_single_threaded_onednn_here();

enum class SgemmLibrary { kOpenBlas, kOneDnn };
/// The library gemm uses, chosen once per process: RECO_SGEMM=openblas|onednn when set (a value
/// that is unknown, or onednn in a build without it, is kInvalidArgument), else oneDNN when built in.
SgemmLibrary sgemm_library();
std::string_view sgemm_library_name(SgemmLibrary library);
/// What sgemm_library() makes of RECO_SGEMM's value (null or empty: the build's default).
SgemmLibrary parse_sgemm_library(const char* value);
/// The libraries this build can run (OpenBLAS always; oneDNN when built in).
std::vector<SgemmLibrary> available_sgemm_libraries();

/// m, k, n of C[m × n] = op(A)[m × k] · op(B)[k × n]; kInternal (a caller bug) naming `what` and
/// the three shapes when they disagree. Shared by the fp32 and the bf16 GEMM.
struct GemmShape {
  size_t m = 0, k = 0, n = 0;
};
GemmShape checked_gemm_shape(const char* what, bool transpose_a, bool transpose_b, size_t a_rows, size_t a_cols,
                             size_t b_rows, size_t b_cols, size_t c_rows, size_t c_cols);

/// C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T. Shapes are checked
/// (kInternal on mismatch: a caller bug). Views may be strided (stride >= cols).
void gemm(bool transpose_a, bool transpose_b, float alpha, ConstMatrixView a, ConstMatrixView b, float beta,
          MatrixView c);
/// The same with an explicit library (tests and A/B measurements).
void gemm(SgemmLibrary library, bool transpose_a, bool transpose_b, float alpha, ConstMatrixView a,
          ConstMatrixView b, float beta, MatrixView c);

/// Median GFLOP/s of gemm (sgemm_library()) on n x n x n: the roofline's ceiling on this machine, one thread.
double measure_sgemm_gflops(size_t n, int repeats);

}  // namespace reco::nn
