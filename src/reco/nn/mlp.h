// Mlp — a stack of Linear layers: hidden layers use `hidden` activation (and optional
// inverted dropout), the last layer uses `last`.
//
// Per-thread state lives in MlpWorkspace (activations for backward, dropout masks and
// gradient buffers), so one Mlp is shared read-only by all workers of a step.
#pragma once

#include <string>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/linear.h"

namespace reco::nn {

struct MlpWorkspace {
  std::vector<Tensor> outputs;      ///< outputs[i] = layer i's output after its activation
  std::vector<Tensor> masks;        ///< dropout masks of hidden layers (empty when unused)
  std::vector<Tensor> dropped;      ///< outputs[i] * masks[i], the next layer's input, when dropout ran
  std::vector<Tensor> grad_weight;  ///< per layer, shape of the weight
  std::vector<Tensor> grad_bias;
  Tensor dbuf[2];                   ///< ping-pong buffers for the backward pass
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
};

}  // namespace reco::nn
