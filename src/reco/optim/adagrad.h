// Adagrad (Duchi, Hazan & Singer 2011), per element:
//   a += g^2;  w -= lr * g / (sqrt(a) + eps)
// (PyTorch's torch.optim.Adagrad without lr_decay; g includes coupled weight decay.)
// State: one accumulator tensor per parameter, started at config.adagrad_init. Sparse tables
// update the accumulator and weights of the RowGrad's rows only (row-sparse Adagrad).
#pragma once

#include "reco/optim/optimizer.h"

namespace reco::optim {

class Adagrad final : public Optimizer {
 public:
  explicit Adagrad(OptimizerConfig config);
  size_t add(nn::Parameter& p) override;
  using Optimizer::update_dense;
  using Optimizer::update_rows;
  void update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) override;
  void update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) override;
};

}  // namespace reco::optim
