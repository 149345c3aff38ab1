#include "reco/optim/sgd.h"

#include "reco/core/error.h"
#include "reco/optim/update_kernels.h"

namespace reco::optim {

Sgd::Sgd(OptimizerConfig config) : Optimizer(std::move(config)) {
  RECO_CHECK(config_.kind == OptimizerKind::kSgd) << "Sgd built from a " << optimizer_kind_name(config_.kind)
                                                  << " config";
}

size_t Sgd::add(nn::Parameter& p) { return register_param(p, config_.momentum > 0.0f ? 1 : 0, 0.0f); }

void Sgd::apply(float* w, const float* g, float* b, size_t n, const SlotRates& r) const {
  if (b == nullptr) {
    kernels::sgd(w, g, n, r.lr, r.coupled_wd, r.keep);
  } else if (config_.nesterov) {
    kernels::sgd_momentum<true>(w, g, b, n, r.lr, r.coupled_wd, r.keep, config_.momentum);
  } else {
    kernels::sgd_momentum<false>(w, g, b, n, r.lr, r.coupled_wd, r.keep, config_.momentum);
  }
}

void Sgd::update_dense(size_t slot, const nn::Tensor& grad, size_t lo, size_t hi) {
  check_dense(slot, grad, lo, hi);
  float* b = state_[slot].empty() ? nullptr : state_[slot][0].data() + lo;
  apply(params_[slot]->value.data() + lo, grad.data() + lo, b, hi - lo, rates(slot));
}

void Sgd::update_rows(size_t slot, const nn::RowGrad& grad, size_t lo, size_t hi) {
  check_rows(slot, grad, lo, hi);
  const SlotRates r = rates(slot);
  nn::Tensor& w = params_[slot]->value;
  nn::Tensor* b = state_[slot].empty() ? nullptr : &state_[slot][0];
  const size_t dim = w.cols();
  for (size_t i = lo; i < hi; ++i) {
    if (i + kernels::kPrefetchRows < hi) {
      const uint32_t ahead = grad.rows[i + kernels::kPrefetchRows];
      kernels::prefetch_row(w.row(ahead), dim);
      if (b) kernels::prefetch_row(b->row(ahead), dim);
    }
    const uint32_t row = grad.rows[i];
    apply(w.row(row), grad.values.row(i), b ? b->row(row) : nullptr, dim, r);
  }
}

float Sgd::plain_sgd_rate(size_t slot) const {
  RECO_ASSERT(slot < params_.size());
  if (!state_[slot].empty()) return -1.0f;  // momentum
  const SlotRates r = rates(slot);
  return r.coupled_wd == 0.0f && r.keep == 1.0f ? r.lr : -1.0f;
}

}  // namespace reco::optim
