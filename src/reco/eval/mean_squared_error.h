// MeanSquaredError: for regression heads.
//   value = sum_i w_i * (p_i - y_i)^2 / sum_i w_i
// Inputs: any finite p and y; NaN y masks the row; w >= 0. NaN when the weight sum is 0.
// (Same arithmetic as Brier without the [0, 1] range checks.)
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>

#include "reco/eval/weighted_mean.h"

namespace reco::eval {

class MeanSquaredError {
 public:
  void add(double prediction, double label, double weight = 1.0);
  void merge(const MeanSquaredError& other) { mean_.merge(other.mean_); }
  double value() const { return mean_.value(); }
  uint64_t count() const { return mean_.count(); }
  uint64_t masked() const { return mean_.masked(); }

 private:
  WeightedMean mean_;
};

}  // namespace reco::eval
