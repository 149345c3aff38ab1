// Independent double-precision references for the optimizer tests, written from the
// published update rules (PyTorch's documented SGD/Adagrad/AdamW pseudo-code, Kingma & Ba's
// Algorithm 1 with bias-corrected moments) and the learning-rate formulas — not from the
// code under test.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "reco/core/rng.h"
#include "reco/nn/tensor.h"
#include "reco/optim/optimizer.h"

namespace reco::optim::testref {

/// Learning rate at step t (1-based) in double.
inline double lr_at(const LrSchedule& s, int64_t t) {
  const double base = s.base;
  if (t <= s.warmup_steps) return base * static_cast<double>(t) / static_cast<double>(s.warmup_steps);
  const int64_t start = s.decay_start > 0 ? s.decay_start : s.warmup_steps + 1;
  if (t < start) return base;
  const double m = s.min_factor;
  auto progress = [&] {
    double p = static_cast<double>(t - start) / static_cast<double>(s.decay_steps);
    return p < 0 ? 0.0 : (p > 1 ? 1.0 : p);
  };
  switch (s.decay) {
    case LrDecay::kNone:
      return base;
    case LrDecay::kLinear:
      return base * (m + (1 - m) * (1 - progress()));
    case LrDecay::kCosine:
      return base * (m + (1 - m) * (std::cos(std::numbers::pi * progress()) + 1) / 2);
    case LrDecay::kInverseSqrt:
      return base * std::max(m, 1.0 / std::sqrt(static_cast<double>(t) / static_cast<double>(start)));
    case LrDecay::kStep: {
      double f = 1;
      for (int64_t k = 0; k < (t - start) / s.decay_steps; ++k) f *= s.gamma;
      return base * std::max(m, f);
    }
    case LrDecay::kPolynomial:
      return base * (m + (1 - m) * std::pow(1 - progress(), static_cast<double>(s.power)));
  }
  return base;
}

/// One parameter's weights and optimizer state, in double.
struct RefParam {
  std::vector<double> w;
  std::vector<double> s0;  // momentum / accumulator / first moment
  std::vector<double> s1;  // second moment
  bool sparse = false;
  bool decay = true;
};

inline RefParam make_ref(const nn::Tensor& value, const OptimizerConfig& c, bool sparse, bool decay) {
  RefParam p;
  p.w.assign(value.data(), value.data() + value.size());
  const double init = c.kind == OptimizerKind::kAdagrad ? c.adagrad_init : 0.0;
  p.s0.assign(p.w.size(), init);
  p.s1.assign(p.w.size(), 0.0);
  p.sparse = sparse;
  p.decay = decay;
  return p;
}

/// Applies one step t to elements `idx` of p with gradient grad[j] for idx[j].
inline void step(const OptimizerConfig& c, int64_t t, RefParam& p, const std::vector<size_t>& idx,
                 const std::vector<double>& grad) {
  const double lr = lr_at(c.schedule, t) * (p.sparse ? c.embedding_lr_scale : 1.0);
  const double wd = !p.decay ? 0.0 : (p.sparse ? c.embedding_weight_decay : c.weight_decay);
  for (size_t j = 0; j < idx.size(); ++j) {
    const size_t i = idx[j];
    double g = grad[j];
    double w = p.w[i];
    if (c.decoupled_decay) {
      w -= lr * wd * w;  // decoupled: shrink the weight, the gradient is untouched
    } else {
      g += wd * p.w[i];  // L2 in the gradient
    }
    switch (c.kind) {
      case OptimizerKind::kSgd: {
        double d = g;
        if (c.momentum > 0) {
          // PyTorch: first step b = g, later b = mu b + g (the same with b starting at 0).
          p.s0[i] = c.momentum * p.s0[i] + g;
          d = c.nesterov ? g + c.momentum * p.s0[i] : p.s0[i];
        }
        w -= lr * d;
        break;
      }
      case OptimizerKind::kAdagrad:
        p.s0[i] += g * g;
        w -= lr * g / (std::sqrt(p.s0[i]) + c.epsilon);
        break;
      case OptimizerKind::kAdam:
      case OptimizerKind::kLazyAdam: {
        const double b1 = c.beta1, b2 = c.beta2;
        p.s0[i] = b1 * p.s0[i] + (1 - b1) * g;
        p.s1[i] = b2 * p.s1[i] + (1 - b2) * g * g;
        const double m_hat = p.s0[i] / (1 - std::pow(b1, static_cast<double>(t)));
        const double v_hat = p.s1[i] / (1 - std::pow(b2, static_cast<double>(t)));
        w -= lr * m_hat / (std::sqrt(v_hat) + c.epsilon);
        break;
      }
    }
    p.w[i] = w;
  }
}

/// Dense step: every element.
inline void step_dense(const OptimizerConfig& c, int64_t t, RefParam& p, const std::vector<double>& grad) {
  std::vector<size_t> idx(p.w.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  step(c, t, p, idx, grad);
}

inline void fill_random(nn::Tensor& t, Rng& rng, double scale = 1.0) {
  for (size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(scale * (2 * rng.uniform() - 1));
}

inline std::vector<double> to_double(const nn::Tensor& t) { return {t.data(), t.data() + t.size()}; }

}  // namespace reco::optim::testref
