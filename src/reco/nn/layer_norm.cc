#include "reco/nn/layer_norm.h"

#include <cmath>

#include "reco/core/error.h"

namespace reco::nn {

LayerNorm::LayerNorm(std::string name, size_t dim, float epsilon) : epsilon_(epsilon) {
  RECO_CHECK(dim > 0) << "layer norm " << name << ": dim must be positive";
  gamma_.name = name + ".gamma";
  gamma_.value = Tensor(1, dim);
  gamma_.value.fill(1.0f);
  gamma_.decay = false;
  beta_.name = name + ".beta";
  beta_.value = Tensor(1, dim);
  beta_.decay = false;
}

void LayerNorm::forward(ConstMatrixView x, Tensor& y, LayerNormCache& cache) const {
  const size_t d = dim();
  RECO_ASSERT(x.cols == d);
  y.resize(x.rows, d);
  cache.normalized.resize(x.rows, d);
  cache.rstd.resize(x.rows, 1);
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  for (size_t r = 0; r < x.rows; ++r) {
    const float* xr = x.row(r);
    double mean = 0.0;
    for (size_t j = 0; j < d; ++j) mean += xr[j];
    mean /= static_cast<double>(d);
    double var = 0.0;
    for (size_t j = 0; j < d; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(d);
    const float rstd = static_cast<float>(1.0 / std::sqrt(var + epsilon_));
    cache.rstd.at(r, 0) = rstd;
    float* nr = cache.normalized.row(r);
    float* yr = y.row(r);
    for (size_t j = 0; j < d; ++j) {
      nr[j] = static_cast<float>(xr[j] - mean) * rstd;
      yr[j] = g[j] * nr[j] + b[j];
    }
  }
}

void LayerNorm::backward(ConstMatrixView dy, const LayerNormCache& cache, Tensor& grad_gamma, Tensor& grad_beta,
                         Tensor* dx) const {
  const size_t d = dim();
  RECO_ASSERT(dy.cols == d && dy.rows == cache.normalized.rows());
  const float* g = gamma_.value.data();
  float* gg = grad_gamma.data();
  float* gb = grad_beta.data();
  if (dx) dx->resize(dy.rows, d);
  for (size_t r = 0; r < dy.rows; ++r) {
    const float* dyr = dy.row(r);
    const float* nr = cache.normalized.row(r);
    double sum_dn = 0.0, sum_dn_n = 0.0;
    for (size_t j = 0; j < d; ++j) {
      gg[j] += dyr[j] * nr[j];
      gb[j] += dyr[j];
      const double dn = static_cast<double>(dyr[j]) * g[j];
      sum_dn += dn;
      sum_dn_n += dn * nr[j];
    }
    if (!dx) continue;
    // dx = rstd * (dn - mean(dn) - n * mean(dn * n)), the standard layer-norm backward.
    const float rstd = cache.rstd.at(r, 0);
    float* dxr = dx->row(r);
    for (size_t j = 0; j < d; ++j) {
      const double dn = static_cast<double>(dyr[j]) * g[j];
      dxr[j] = static_cast<float>(rstd * (dn - sum_dn / d - nr[j] * sum_dn_n / d));
    }
  }
}

}  // namespace reco::nn
