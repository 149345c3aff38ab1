// Thin, checked wrappers over CBLAS sgemm for row-major views.
// OpenBLAS runs single-threaded (use_single_threaded_blas): reco shards a batch over its own
// workers and every worker calls sgemm on its shard, so BLAS threads would only oversubscribe.
#pragma once

#include "reco/nn/tensor.h"

namespace reco::nn {

/// Sets OpenBLAS to one thread. Idempotent; called by every trainer/scorer at start.
void use_single_threaded_blas();

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

/// Median sgemm GFLOP/s on n x n x n (the roofline's ceiling on this machine, one thread).
double measure_sgemm_gflops(size_t n, int repeats);

}  // namespace reco::nn
