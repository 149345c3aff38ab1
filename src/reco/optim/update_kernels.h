// The optimizers' inner loops: one stateless function per update rule over n contiguous
// floats (a range of a dense parameter, or one embedding row). Element-wise, so splitting a
// tensor into ranges gives bit-identical results. Written as plain loops over __restrict
// pointers so the compiler vectorizes them (reco_optim is built with -fno-math-errno so
// sqrt vectorizes too); no calls, no allocation.
//
// Common arguments: w the weights, g the gradient, `wd` the coupled weight decay
// (g' = g + wd * w; 0 when off or decoupled) and `keep` the decoupled decay factor
// (w <- keep * w before the update; 1 when off or coupled). Every kernel computes
//   w_new = keep * w - lr_like * update(g')
#pragma once

#include <cmath>
#include <cstddef>

namespace reco::optim::kernels {

/// Row loops over a sparse table touch rows scattered through memory (a 1M-row table is far
/// bigger than the caches), so they prefetch the rows this many entries ahead: measured
/// about 2x on LazyAdam with 50k random rows of a 1M x 16 table.
inline constexpr size_t kPrefetchRows = 8;

/// Prefetches the n floats at p for writing, one hint per 64-byte line.
inline void prefetch_row(const float* p, size_t n) {
  for (size_t off = 0; off < n; off += 16) __builtin_prefetch(p + off, 1);
}

/// Plain SGD: w = keep * w - lr * g'.
inline void sgd(float* __restrict w, const float* __restrict g, size_t n, float lr, float wd, float keep) {
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    w[i] = keep * w[i] - lr * gi;
  }
}

/// SGD with momentum (PyTorch's form, no dampening): b = mu * b + g';
/// u = g' + mu * b (Nesterov) or b; w = keep * w - lr * u.
template <bool kNesterov>
inline void sgd_momentum(float* __restrict w, const float* __restrict g, float* __restrict b, size_t n, float lr,
                         float wd, float keep, float mu) {
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    const float bi = mu * b[i] + gi;
    b[i] = bi;
    const float ui = kNesterov ? gi + mu * bi : bi;
    w[i] = keep * w[i] - lr * ui;
  }
}

/// Adagrad (Duchi et al. 2011, PyTorch's form): a += g'^2; w = keep * w - lr * g' / (sqrt(a) + eps).
inline void adagrad(float* __restrict w, const float* __restrict g, float* __restrict a, size_t n, float lr, float wd,
                    float keep, float eps) {
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    const float ai = a[i] + gi * gi;
    a[i] = ai;
    w[i] = keep * w[i] - lr * gi / (std::sqrt(ai) + eps);
  }
}

/// Per-step constants of Adam at step t: step_size = lr / (1 - b1^t),
/// inv_sqrt_bc2 = 1 / sqrt(1 - b2^t).
struct AdamStep {
  float step_size = 0.0f;
  float inv_sqrt_bc2 = 1.0f;
};

/// Adam (Kingma & Ba 2015, PyTorch's form): m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
/// w = keep * w - step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps).
inline void adam(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, size_t n,
                 AdamStep c, float wd, float keep, float b1, float b2, float eps) {
  const float one_minus_b1 = 1.0f - b1;
  const float one_minus_b2 = 1.0f - b2;
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    const float mi = b1 * m[i] + one_minus_b1 * gi;
    const float vi = b2 * v[i] + one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = keep * w[i] - c.step_size * mi / (std::sqrt(vi) * c.inv_sqrt_bc2 + eps);
  }
}

}  // namespace reco::optim::kernels
