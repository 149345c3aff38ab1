// Mlp — a stack of Linear layers: hidden layers use `hidden` activation (and optional
// inverted dropout), the last layer uses `last`.
//
// Per-thread state lives in MlpWorkspace (activations for backward, dropout masks and
// gradient buffers), so one Mlp is shared read-only by all workers of a step.
//
// Precision (precision.h): kFp32 (default) runs Linear::forward_fused (oneDNN: matmul, bias and
// ReLU in one pass) or, when gemm runs on OpenBLAS (blas.h), Linear::forward; kBf16 runs
// forward_bf16/backward_bf16 with the worker's bf16 copies in ws.bf16 and its oneDNN
// primitives in ws.bf16_gemm. Each worker converts the weights to bf16 once per forward (i.e.
// once per step) and reuses them in backward.
#pragma once

#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/linear.h"
#include "reco/nn/precision.h"

namespace reco::nn {

struct MlpWorkspace {
  std::vector<Tensor> outputs;      ///< outputs[i] = layer i's output after its activation
  std::vector<Tensor> masks;        ///< dropout masks of hidden layers (empty when unused)
  std::vector<Tensor> dropped;      ///< outputs[i] * masks[i], the next layer's input, when dropout ran
  std::vector<Tensor> grad_weight;  ///< per layer, shape of the weight
  std::vector<Tensor> grad_bias;
  Tensor dbuf[2];                   ///< ping-pong buffers for the backward pass
  std::vector<LinearBf16Cache> bf16;  ///< per layer, precision bf16 only
  Bf16Gemm bf16_gemm;               ///< this worker's oneDNN backward primitives (bf16 only)
  FusedLinear fused;                ///< this worker's fused forward primitives (oneDNN builds)
  const Tensor& output() const { return outputs.back(); }
};

class Mlp {
 public:
  Mlp() = default;
  /// sizes: output size of each layer (at least one).
  Mlp(const std::string& name, size_t in, const std::vector<size_t>& sizes, Activation hidden, Activation last,
      float dropout = 0.0f);

  size_t in() const { return layers_.front().in(); }
  size_t out() const { return layers_.back().out(); }
  size_t depth() const { return layers_.size(); }
  const std::vector<size_t>& sizes() const { return sizes_; }
  Linear& layer(size_t i) { return layers_[i]; }
  const Linear& layer(size_t i) const { return layers_[i]; }

  void init(Rng& rng);
  /// kBf16 throws (kInvalidArgument, naming `what`) when this CPU/build has no native bf16
  /// matmul (bf16_gemm.h require_bf16): reco fails rather than silently training in fp32.
  void set_precision(Precision p, const std::string& what = "model.precision");
  Precision precision() const { return precision_; }
  /// Weight and bias of every layer, in order (weight0, bias0, weight1, ...).
  std::vector<Parameter*> parameters();
  /// Sizes ws's buffers for this Mlp (grads zeroed).
  void prepare(MlpWorkspace& ws) const;
  /// Gradient tensors in parameters() order.
  static std::vector<Tensor*> gradients(MlpWorkspace& ws);

  /// Runs the stack; the result is ws.output(). dropout_rng may be null (no dropout, i.e.
  /// inference) — dropout only applies when training && dropout > 0.
  void forward(ConstMatrixView x, MlpWorkspace& ws, Rng* dropout_rng) const;
  /// dy: gradient w.r.t. ws.output() (consumed). Accumulates parameter gradients into ws;
  /// writes the input gradient to *dx when non-null.
  void backward(ConstMatrixView x, ConstMatrixView dy, MlpWorkspace& ws, Tensor* dx) const;

  /// Multiply-adds per example of one forward pass.
  size_t macs_per_example() const;

 private:
  std::vector<Linear> layers_;
  std::vector<size_t> sizes_;
  float dropout_ = 0.0f;
  Precision precision_ = Precision::kFp32;
};

}  // namespace reco::nn
