// FusedLinear — a Linear layer's forward, y = act(x W^T + b), as one oneDNN matmul per block of
// rows with the bias and ReLU applied as the matmul's post-ops while each output tile is still in
// registers (the unfused path writes y, then reads and rewrites it for bias and activation).
// Inputs are fp32 (x, W) or bf16 copies of them (bf16_gemm.h); the bias and y are fp32. Sigmoid
// and tanh are not fused: they run as a pass over y after the matmul (bias already added).
//
// Threading and ownership: one FusedLinear per worker (it lives in the worker's MlpWorkspace).
// It owns a oneDNN stream, a cache of primitives keyed by block shape and weights layout, and
// packed copies of weight matrices. Rows are processed in blocks of kBlockRows and the tail in
// power-of-two pieces, so the cache holds at most one full-block primitive and log2(kBlockRows)
// tail primitives per layer shape and weights layout, whatever batch sizes a server sees.
// Weights layout: a call that runs one block passes W as it is (the kernel copies the parts it
// needs); a call of several blocks, or any call inside a FrozenWeights scope, first reorders W
// into the kernels' blocked layout (a packed copy owned here, keyed by W's address) and runs
// every block on that copy. Copies start empty.
//
// Numerics: fp32 results match Linear::forward (CBLAS sgemm then bias_activation_forward) to
// rounding — the products are summed in another order — and are deterministic on one machine.
#pragma once

#include <cstdint>
#include <memory>

#include "reco/nn/activation.h"
#include "reco/nn/bf16_gemm.h"
#include "reco/nn/tensor.h"

namespace reco::nn {

/// A promise, while alive, that the weights this thread's FusedLinears read do not change and
/// that no weight buffer is freed and reused for another matrix: every weight matrix is then
/// reordered into the matmul kernels' blocked layout once and reused by all later calls on this
/// thread until the scope ends, instead of once per call (CtrModel::infer holds one over its
/// row blocks: the model is const there). A default-constructed scope nested in another joins
/// the outer one. Without a scope a pack lives for one call only, so a training step, whose
/// optimizer changes the weights between forwards, never reads a stale pack.
///
/// A promise can also outlive one scope: FrozenWeights(id) with an id from new_id() reuses
/// the packs made under that id before (on this thread's FusedLinears), so weights that stay
/// fixed over many calls — a served model snapshot, an inference benchmark, one prediction
/// pass — are packed once per worker, not once per call. Whoever holds the id promises that
/// the weights and their buffers stay as they were for as long as the id is used; after a
/// change, take a new id.
class FrozenWeights {
 public:
  FrozenWeights();
  /// Joins scope `id` (non-zero, from new_id()) for this object's life; restores the thread's
  /// previous scope afterwards.
  explicit FrozenWeights(uint64_t id);
  ~FrozenWeights();
  FrozenWeights(const FrozenWeights&) = delete;
  FrozenWeights& operator=(const FrozenWeights&) = delete;

  /// A scope id never handed out before (process-wide).
  static uint64_t new_id();
  /// The scope this object stands for.
  uint64_t id() const { return id_; }

 private:
  uint64_t id_ = 0;
  uint64_t previous_ = 0;
};

class FusedLinear {
 public:
  /// Rows per matmul call: a block's activations stay cache-resident. 256, not less: on one
  /// core of an AVX-512 Xeon (family 6 model 207) the DLRM layer shapes ran at ~130 GFLOP/s in
  /// blocks of 64 rows and ~206 in blocks of 256 (oneDNN 2.6 brgemm; 512 and 1024 were slower).
  static constexpr size_t kBlockRows = 256;

  /// True when this build has oneDNN (otherwise every call throws kInvalidArgument).
  static bool available();

  FusedLinear();
  ~FusedLinear();
  FusedLinear(const FusedLinear&);
  FusedLinear& operator=(const FusedLinear&);
  FusedLinear(FusedLinear&&) noexcept;
  FusedLinear& operator=(FusedLinear&&) noexcept;

  /// y[m, out] = act(x[m, in] W[out, in]^T + bias[out]); x and y may be strided, W contiguous
  /// rows. bias may be null (no bias).
  void forward(ConstMatrixView x, ConstMatrixView weight, const float* bias, Activation act, MatrixView y);
  /// The same with bf16 inputs (contiguous), fp32 accumulation, bias and output.
  void forward(const Bf16Matrix& x, const Bf16Matrix& weight, const float* bias, Activation act, MatrixView y);

  /// Number of cached primitives (tests).
  size_t cached() const;
  /// Number of weight reorders into the packed layout so far (tests).
  size_t packs_made() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::nn
