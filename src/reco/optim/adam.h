// Adam (Kingma & Ba 2015) and LazyAdam, per element, at global step t:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// (PyTorch's torch.optim.Adam / AdamW form; g includes coupled weight decay, or the weight
// is scaled by 1 - lr * wd first when decay is decoupled.)
// State: m then v, each the parameter's shape, zero at the start.
//
// kind == kAdam accepts dense parameters only (add() rejects a sparse table: a faithful
// dense Adam would move every row every step). kind == kLazyAdam treats dense parameters
// exactly like Adam and updates m, v and the weights of a sparse table's touched rows only,
// with the bias correction of the global step t (as TensorFlow's LazyAdamOptimizer, which
// Airbnb used): an untouched row keeps its moments frozen instead of decaying them.
#pragma once

#include "reco/optim/optimizer.h"
#include "reco/optim/update_kernels.h"

namespace reco::optim {

class Adam final : public Optimizer {
 public:
  /// config.kind is kAdam or kLazyAdam.
  explicit Adam(OptimizerConfig config);
  size_t add(nn::Parameter& p) override;
  using Optimizer::update_dense;
  using Optimizer::update_rows;
  void update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) override;
  void update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) override;

 protected:
  void prepare_step() override;

 private:
  kernels::AdamStep step_constants(const SlotRates& r) const;
  float bias_correction1_ = 1.0f;  ///< 1 - b1^t
  float inv_sqrt_bc2_ = 1.0f;      ///< 1 / sqrt(1 - b2^t)
};

}  // namespace reco::optim
