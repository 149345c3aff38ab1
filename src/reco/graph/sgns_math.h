// The two losses the embedding learners minimise, as small stateless functions over raw
// float vectors of length `dim` (rows of the learners' row-major tables). Each loss has its
// value, its analytic gradient (tested against finite differences) and the SGD step that
// the trainers call, which is exactly "parameters -= lr * gradient" evaluated at the
// parameters before the step (so the tests of the gradient also test the step).
//
// SGNS (skip-gram with negative sampling, Mikolov et al. 2013), one (input, targets) group:
//   L = -log σ(in·out_0) - Σ_{n≥1} log σ(-in·out_n)
// target 0 is the observed context, targets 1.. the sampled negatives.
//
// HOP-Rec pairwise term (Yang et al., RecSys 2018), one (user u, positive i, negative j) at
// walk order k with confidence c = C(k) and margin m = ε_k, plus L2 on the three vectors:
//   x = u·(i - j);  L = c · 1[x <= m] · (softplus(-x) + λ_u/2 |u|² + λ_i/2 (|i|² + |j|²))
// c weighs the L2 too, as SMORe's step lr/k does (an unweighted L2 over-regularised orders >= 2).
// The indicator is the paper's margin gate: pairs already ranked by more than ε_k give no
// gradient (and, as in SMORe, no weight decay either).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace reco::graph {

inline float dot(const float* a, const float* b, uint32_t dim) {
  float s = 0.0f;
  for (uint32_t d = 0; d < dim; ++d) s += a[d] * b[d];
  return s;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
/// log(1 + e^x) without overflow.
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// ---- SGNS --------------------------------------------------------------------------------

/// Loss of one group; `outs[t]` points at target t's output vector (t = 0 positive).
inline double sgns_loss(const float* in, std::span<float* const> outs, uint32_t dim) {
  double loss = 0.0;
  for (size_t t = 0; t < outs.size(); ++t) {
    const double f = dot(in, outs[t], dim);
    loss += softplus(t == 0 ? -f : f);
  }
  return loss;
}

/// Gradient of sgns_loss: d_in [dim] and d_outs[t] [dim] (overwritten).
inline void sgns_gradient(const float* in, std::span<float* const> outs, uint32_t dim, float* d_in,
                          std::span<float* const> d_outs) {
  for (uint32_t d = 0; d < dim; ++d) d_in[d] = 0.0f;
  for (size_t t = 0; t < outs.size(); ++t) {
    const float f = dot(in, outs[t], dim);
    const float g = sigmoid(f) - (t == 0 ? 1.0f : 0.0f);  // dL/df
    for (uint32_t d = 0; d < dim; ++d) {
      d_in[d] += g * outs[t][d];
      d_outs[t][d] = g * in[d];
    }
  }
}

/// SGD step on one group: outs updated in turn, `in` at the end with the gradient
/// accumulated in `scratch` [dim] against the outputs as they were before their update.
/// Returns the group's loss before the step. With distinct target rows this is exactly
/// -lr × sgns_gradient; a repeated negative is applied twice in turn (as word2vec does).
inline double sgns_step(float* in, std::span<float* const> outs, uint32_t dim, float lr, float* scratch) {
  double loss = 0.0;
  for (uint32_t d = 0; d < dim; ++d) scratch[d] = 0.0f;
  for (size_t t = 0; t < outs.size(); ++t) {
    float* out = outs[t];
    const float f = dot(in, out, dim);
    loss += softplus(t == 0 ? -double(f) : double(f));
    const float g = lr * ((t == 0 ? 1.0f : 0.0f) - sigmoid(f));  // -lr * dL/df
    for (uint32_t d = 0; d < dim; ++d) {
      scratch[d] += g * out[d];
      out[d] += g * in[d];
    }
  }
  for (uint32_t d = 0; d < dim; ++d) in[d] += scratch[d];
  return loss;
}

// ---- HOP-Rec pairwise term -----------------------------------------------------------

struct HopTerm {
  float confidence = 1.0f;  ///< C(k)
  float margin = 1.0f;      ///< ε_k
  float l2_user = 0.0f, l2_item = 0.0f;
};

inline bool hop_active(const float* u, const float* i, const float* j, uint32_t dim, float margin) {
  return dot(u, i, dim) - dot(u, j, dim) <= margin;
}

inline double hop_loss(const float* u, const float* i, const float* j, uint32_t dim, const HopTerm& h) {
  const double x = double(dot(u, i, dim)) - double(dot(u, j, dim));
  if (x > h.margin) return 0.0;
  double l2u = 0.0, l2i = 0.0;
  for (uint32_t d = 0; d < dim; ++d) {
    l2u += double(u[d]) * u[d];
    l2i += double(i[d]) * i[d] + double(j[d]) * j[d];
  }
  // C(k) weighs the whole term, L2 included: SMORe scales the step (lr / k) of the entire
  // update, and an unweighted L2 over-regularises the higher orders.
  return h.confidence * (softplus(-x) + 0.5 * h.l2_user * l2u + 0.5 * h.l2_item * l2i);
}

/// Gradient of hop_loss (zero when the gate is closed).
inline void hop_gradient(const float* u, const float* i, const float* j, uint32_t dim, const HopTerm& h, float* du,
                         float* di, float* dj) {
  const float x = dot(u, i, dim) - dot(u, j, dim);
  const bool on = x <= h.margin;
  const float g = on ? -h.confidence * sigmoid(-x) : 0.0f;  // dL/dx
  for (uint32_t d = 0; d < dim; ++d) {
    du[d] = on ? g * (i[d] - j[d]) + h.confidence * h.l2_user * u[d] : 0.0f;
    di[d] = on ? g * u[d] + h.confidence * h.l2_item * i[d] : 0.0f;
    dj[d] = on ? -g * u[d] + h.confidence * h.l2_item * j[d] : 0.0f;
  }
}

/// SGD step on items i and j; the user's gradient is added to `du_acc` [dim] (the trainer
/// applies it after all negatives of the pair, averaged as in SMORe). Returns whether the
/// gate was open, and adds the term's loss to `loss`.
inline bool hop_step_items(const float* u, float* i, float* j, uint32_t dim, const HopTerm& h, float lr,
                           float* du_acc, double& loss) {
  const float x = dot(u, i, dim) - dot(u, j, dim);
  if (x > h.margin) return false;
  loss += h.confidence * softplus(-double(x));
  const float g = -h.confidence * sigmoid(-x);  // dL/dx
  const float ru = h.confidence * h.l2_user, ri = h.confidence * h.l2_item;
  for (uint32_t d = 0; d < dim; ++d) {
    const float ud = u[d];
    du_acc[d] += g * (i[d] - j[d]) + ru * ud;
    i[d] -= lr * (g * ud + ri * i[d]);
    j[d] -= lr * (-g * ud + ri * j[d]);
  }
  return true;
}

}  // namespace reco::graph
