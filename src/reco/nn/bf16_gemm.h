// Bf16Gemm — bf16 x bf16 -> fp32 matrix products on the CPU through oneDNN's matmul (its
// brgemm kernels use AVX512-BF16's dot-product instructions: ~2x fp32 sgemm on the DLRM
// shapes here). Debian's OpenBLAS 0.3.21 has no cblas_sbgemm, hence oneDNN (docs/design.md).
//
// Threading and ownership: one Bf16Gemm per worker thread (it lives in that worker's
// workspace). It owns a oneDNN stream and a cache of matmul primitives keyed by shape,
// transposes, output stride and accumulate — creating a primitive costs far more than a small
// GEMM, so each shape is created once per worker and reused every step. Copies start with an
// empty cache (a copied workspace must not share a stream with its source). oneDNN runs on
// the calling thread only (its OpenMP team is set to 1 thread): reco owns the parallelism,
// as with single-threaded OpenBLAS.
//
// Numerics: inputs are rounded to bf16 (8 significant bits, round to nearest even); products
// are summed in fp32. An element of the result is within about 2^-8 * sum_p |a_ip b_pj| of the
// exact fp32-input product (tests bound it by 2^-7). Results are not bit-reproducible across
// oneDNN versions or CPUs, but are deterministic on one machine for a given shape.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reco/nn/tensor.h"

namespace reco::nn {

/// A contiguous row-major bf16 copy of a matrix ([rows, cols], stride = cols). Each element is
/// the upper 16 bits of the fp32 value, rounded to nearest even (NaN stays NaN).
struct Bf16Matrix {
  std::vector<uint16_t> data;
  size_t rows = 0;
  size_t cols = 0;
};

/// dst = bf16(src); dst is resized (its storage is reused across calls).
void to_bf16(ConstMatrixView src, Bf16Matrix& dst);
/// The fp32 value of one bf16 element (exact).
float bf16_to_float(uint16_t v);

/// True when oneDNN was built in and runs bf16 matmuls with a native kernel on this CPU (not
/// its slow reference implementation). `why` gets the kernel name or the reason it is not.
bool bf16_supported(std::string* why = nullptr);
/// Throws kInvalidArgument naming `what` (e.g. the config field) when !bf16_supported().
void require_bf16(const std::string& what);

class Bf16Gemm {
 public:
  Bf16Gemm();
  ~Bf16Gemm();
  Bf16Gemm(const Bf16Gemm&);
  Bf16Gemm& operator=(const Bf16Gemm&);
  Bf16Gemm(Bf16Gemm&&) noexcept;
  Bf16Gemm& operator=(Bf16Gemm&&) noexcept;

  /// C = op(A) op(B) (accumulate = false) or C += op(A) op(B) (accumulate = true); op(X) = X or
  /// X^T. A and B are bf16, C is fp32 and may be strided. Shapes are checked (kInternal).
  void gemm(bool transpose_a, bool transpose_b, const Bf16Matrix& a, const Bf16Matrix& b, bool accumulate,
            MatrixView c);

  /// Number of cached primitives (tests).
  size_t cached() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::nn
