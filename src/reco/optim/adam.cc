#include "reco/optim/adam.h"

#include <cmath>

#include "reco/core/error.h"

namespace reco::optim {

Adam::Adam(OptimizerConfig config) : Optimizer(std::move(config)) {
  RECO_CHECK(config_.kind == OptimizerKind::kAdam || config_.kind == OptimizerKind::kLazyAdam)
      << "Adam built from a " << optimizer_kind_name(config_.kind) << " config";
}

size_t Adam::add(nn::Parameter& p) {
  if (p.sparse && config_.kind == OptimizerKind::kAdam) {
    RECO_THROW(ErrorCode::kInvalidArgument) << "optimizer adam cannot update sparse table '" << p.name
                                            << "' (it would move every row every step); use lazy_adam";
  }
  return register_param(p, 2, 0.0f);
}

void Adam::prepare_step() {
  // In double: b2^t for b2 = 0.999 loses digits in float over long runs.
  const double t = static_cast<double>(step_);
  bias_correction1_ = static_cast<float>(1.0 - std::pow(static_cast<double>(config_.beta1), t));
  inv_sqrt_bc2_ = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(static_cast<double>(config_.beta2), t)));
}

kernels::AdamStep Adam::step_constants(const SlotRates& r) const {
  return {r.lr / bias_correction1_, inv_sqrt_bc2_};
}

void Adam::update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) {
  check_dense(slot, grad, lo, hi);
  const SlotRates r = rates(slot);
  kernels::adam(params_[slot]->value.data() + lo, grad.data() + lo, state_[slot][0].data() + lo,
                state_[slot][1].data() + lo, hi - lo, step_constants(r), r.coupled_wd, r.keep, config_.beta1,
                config_.beta2, config_.epsilon);
}

void Adam::update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) {
  check_rows(slot, grad, lo, hi);  // a sparse slot exists only under lazy_adam
  const SlotRates r = rates(slot);
  const kernels::AdamStep c = step_constants(r);
  nn::Tensor& w = params_[slot]->value;
  nn::Tensor& m = state_[slot][0];
  nn::Tensor& v = state_[slot][1];
  const size_t dim = w.cols();
  const float b1 = config_.beta1;
  const float b2 = config_.beta2;
  const float eps = config_.epsilon;
  for (size_t i = lo; i < hi; ++i) {
    if (i + kernels::kPrefetchRows < hi) {
      const uint32_t ahead = grad.rows[i + kernels::kPrefetchRows];
      kernels::prefetch_row(w.row(ahead), dim);
      kernels::prefetch_row(m.row(ahead), dim);
      kernels::prefetch_row(v.row(ahead), dim);
    }
    const uint32_t row = grad.rows[i];
    kernels::adam(w.row(row), grad.values.row(i), m.row(row), v.row(row), dim, c, r.coupled_wd, r.keep, b1, b2, eps);
  }
}

}  // namespace reco::optim
