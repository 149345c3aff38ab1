// Linear — y = x W^T + b, then an activation.
// Layout: weight is [out, in] (row j holds the weights of output j, the PyTorch and
// cblas-friendly layout), bias is [1, out]. x is [batch, in], y is [batch, out].
// Gradients accumulate (+=) into caller-owned tensors of the parameters' shapes, so several
// calls (or several heads sharing a layer) can add into one buffer.
//
// Two precisions (precision.h): forward/backward run the GEMMs in fp32 (gemm, blas.h), and
// forward_fused runs the fp32 forward with bias and activation fused into oneDNN's matmul;
// forward_bf16/backward_bf16 run the same three GEMMs (x W^T, dz^T x, dz W) on bf16 copies of
// their inputs with fp32 accumulation and output (bf16_gemm.h). Biases, activations and the
// gradients' accumulation stay fp32 in both. The bf16 copies live in a caller-owned
// LinearBf16Cache (one per layer per worker), so the layer itself stays read-only.
#pragma once

#include <string>

#include "reco/core/rng.h"
#include "reco/nn/activation.h"
#include "reco/nn/bf16_gemm.h"
#include "reco/nn/fused_linear.h"
#include "reco/nn/parameter.h"

namespace reco::nn {

/// One worker's bf16 copies for one layer, filled by forward_bf16 and read by backward_bf16.
struct LinearBf16Cache {
  Bf16Matrix weight;  ///< bf16(W) [out, in]: converted once per forward_bf16, reused by backward
  Bf16Matrix input;   ///< bf16(x) [batch, in] of the last forward_bf16 (backward's dW = dz^T x)
  Bf16Matrix dz;      ///< bf16 of the pre-activation gradient (backward scratch)
};

class Linear {
 public:
  Linear() = default;
  Linear(std::string name, size_t in, size_t out, Activation activation);

  size_t in() const { return weight_.value.cols(); }
  size_t out() const { return weight_.value.rows(); }
  Activation activation() const { return activation_; }
  Parameter& weight() { return weight_; }
  Parameter& bias() { return bias_; }
  const Parameter& weight() const { return weight_; }
  const Parameter& bias() const { return bias_; }

  /// Xavier-uniform weights, zero bias.
  void init(Rng& rng);

  /// y (resized to [batch, out]) = act(x W^T + b).
  void forward(ConstMatrixView x, Tensor& y) const;
  /// Given y from forward and dy (modified in place: becomes the pre-activation gradient),
  /// adds dW += dz^T x, db += colsum(dz), and writes dx = dz W when dx is non-null.
  void backward(ConstMatrixView x, ConstMatrixView y, MatrixView dy, Tensor& grad_weight, Tensor& grad_bias,
                Tensor* dx) const;

  /// forward as one oneDNN matmul with bias and ReLU fused (fused_linear.h): the same y as
  /// forward to rounding; backward accepts it as forward's output.
  void forward_fused(ConstMatrixView x, Tensor& y, FusedLinear& fused) const;
  /// forward with bf16 GEMM inputs (fused like forward_fused): also fills cache.weight and
  /// cache.input for backward_bf16.
  void forward_bf16(ConstMatrixView x, Tensor& y, FusedLinear& fused, LinearBf16Cache& cache) const;
  /// backward with bf16 GEMM inputs; x must be the input of the last forward_bf16 with this
  /// cache (its bf16 copy, cache.input, is what dW reads) and the weights unchanged since.
  void backward_bf16(ConstMatrixView x, ConstMatrixView y, MatrixView dy, Tensor& grad_weight, Tensor& grad_bias,
                     Tensor* dx, Bf16Gemm& gemm, LinearBf16Cache& cache) const;

 private:
  Parameter weight_;
  Parameter bias_;
  Activation activation_ = Activation::kNone;
};

}  // namespace reco::nn
