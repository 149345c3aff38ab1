#include "reco/optim/adagrad.h"

#include "reco/core/error.h"
#include "reco/optim/update_kernels.h"

namespace reco::optim {

Adagrad::Adagrad(OptimizerConfig config) : Optimizer(std::move(config)) {
  RECO_CHECK(config_.kind == OptimizerKind::kAdagrad)
      << "Adagrad built from a " << optimizer_kind_name(config_.kind) << " config";
}

size_t Adagrad::add(nn::Parameter& p) { return register_param(p, 1, config_.adagrad_init); }

void Adagrad::update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) {
  check_dense(slot, grad, lo, hi);
  const SlotRates r = rates(slot);
  kernels::adagrad(params_[slot]->value.data() + lo, grad.data() + lo, state_[slot][0].data() + lo, hi - lo, r.lr,
                   r.coupled_wd, r.keep, config_.epsilon);
}

void Adagrad::update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) {
  check_rows(slot, grad, lo, hi);
  const SlotRates r = rates(slot);
  nn::Tensor& w = params_[slot]->value;
  nn::Tensor& a = state_[slot][0];
  const size_t dim = w.cols();
  const float eps = config_.epsilon;
  for (size_t i = lo; i < hi; ++i) {
    if (i + kernels::kPrefetchRows < hi) {
      const uint32_t ahead = grad.rows[i + kernels::kPrefetchRows];
      kernels::prefetch_row(w.row(ahead), dim);
      kernels::prefetch_row(a.row(ahead), dim);
    }
    const uint32_t row = grad.rows[i];
    kernels::adagrad(w.row(row), grad.values.row(i), a.row(row), dim, r.lr, r.coupled_wd, r.keep, eps);
  }
}

}  // namespace reco::optim
