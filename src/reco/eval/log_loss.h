// LogLoss: weighted binary cross-entropy of probabilities.
//
// Definition (natural log):
//   q_i   = clip(p_i, eps, 1 - eps),  eps = kLogLossEps = 1e-7
//   value = sum_i w_i * -(y_i * ln q_i + (1 - y_i) * ln(1 - q_i)) / sum_i w_i
// Why eps = 1e-7: predictions usually come out of a float32 sigmoid, whose resolution near 1
// is ~6e-8; clipping at 1e-7 bounds one confidently wrong row at -ln(1e-7) ~ 16.1 nats.
// (scikit-learn >= 1.2 clips at float64 eps ~2.2e-16 instead; values agree whenever all
// predictions lie in [1e-7, 1 - 1e-7].)
// Inputs: p in [0, 1]; y in [0, 1] (soft labels allowed); NaN y masks the row; w >= 0.
// value() is NaN when the weight sum is 0. Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>

#include "reco/eval/weighted_mean.h"

namespace reco::eval {

inline constexpr double kLogLossEps = 1e-7;

/// One row's loss, -(y ln q + (1-y) ln(1-q)) with q = clip(p, kLogLossEps, 1 - kLogLossEps).
double log_loss_term(double prediction, double label);

class LogLoss {
 public:
  void add(double prediction, double label, double weight = 1.0);
  void merge(const LogLoss& other) { mean_.merge(other.mean_); }
  double value() const { return mean_.value(); }
  uint64_t count() const { return mean_.count(); }
  uint64_t masked() const { return mean_.masked(); }

 private:
  WeightedMean mean_;
};

}  // namespace reco::eval
