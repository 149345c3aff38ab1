// Linear — y = x W^T + b, then an activation.
// Layout: weight is [out, in] (row j holds the weights of output j, the PyTorch and
// cblas-friendly layout), bias is [1, out]. x is [batch, in], y is [batch, out].
// Gradients accumulate (+=) into caller-owned tensors of the parameters' shapes, so several
// calls (or several heads sharing a layer) can add into one buffer.
#pragma once

#include <string>

#include "reco/core/rng.h"
#include "reco/nn/activation.h"
#include "reco/nn/parameter.h"

namespace reco::nn {

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

 private:
  Parameter weight_;
  Parameter bias_;
  Activation activation_ = Activation::kNone;
};

}  // namespace reco::nn
