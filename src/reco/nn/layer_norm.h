// LayerNorm — per-row normalization y = gamma * (x - mean) / sqrt(var + eps) + beta
// (Ba et al. 2016). gamma and beta are [1, dim]. Kept per-row (not batch norm) so a model
// scores one example exactly as it scores it inside a batch.
#pragma once

#include <string>

#include "reco/nn/parameter.h"

namespace reco::nn {

struct LayerNormCache {
  Tensor normalized;  ///< (x - mean) * rstd, [batch, dim]
  Tensor rstd;        ///< [batch, 1]
};

class LayerNorm {
 public:
  LayerNorm() = default;
  LayerNorm(std::string name, size_t dim, float epsilon = 1e-5f);

  size_t dim() const { return gamma_.value.cols(); }
  Parameter& gamma() { return gamma_; }
  Parameter& beta() { return beta_; }

  void forward(ConstMatrixView x, Tensor& y, LayerNormCache& cache) const;
  /// Adds parameter gradients; writes dx (resized) when non-null.
  void backward(ConstMatrixView dy, const LayerNormCache& cache, Tensor& grad_gamma, Tensor& grad_beta,
                Tensor* dx) const;

 private:
  Parameter gamma_;
  Parameter beta_;
  float epsilon_ = 1e-5f;
};

}  // namespace reco::nn
