// Sgd — stochastic gradient descent, optionally with (Nesterov) momentum.
//   b = mu * b + g;  u = nesterov ? g + mu * b : b  (u = g when mu == 0);  w -= lr * u
// (PyTorch's torch.optim.SGD with dampening 0; g includes coupled weight decay.)
// State: one momentum tensor per parameter when momentum > 0, none otherwise. Sparse
// tables update only the rows of the RowGrad, momentum included: an untouched row's
// momentum is frozen, not decayed (lazy momentum).
#pragma once

#include "reco/optim/optimizer.h"

namespace reco::optim {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(OptimizerConfig config);
  size_t add(nn::Parameter& p) override;
  using Optimizer::update_dense;
  using Optimizer::update_rows;
  void update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) override;
  void update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) override;
  float plain_sgd_rate(size_t slot) const override;

 private:
  // Updates n floats; b is null without momentum.
  void apply(float* w, const float* g, float* b, size_t n, const SlotRates& r) const;
};

}  // namespace reco::optim
