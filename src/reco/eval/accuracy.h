// Accuracy: weighted fraction of rows whose thresholded prediction equals the label.
//   predicted_i = (p_i >= threshold) ? 1 : 0            (threshold 0.5 by default;
//                                                       pass 0 for logits)
//   value = sum_i w_i * [predicted_i == y_i] / sum_i w_i
// Inputs: any finite score p; y in {0, 1}; NaN y masks the row; w >= 0.
// NaN when the weight sum is 0. merge() requires equal thresholds.
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>

#include "reco/eval/weighted_mean.h"

namespace reco::eval {

/// 1 when (prediction >= threshold) agrees with the 0/1 label, else 0.
inline double accuracy_term(double prediction, double label, double threshold) {
  const double predicted = prediction >= threshold ? 1.0 : 0.0;
  return predicted == label ? 1.0 : 0.0;
}

class Accuracy {
 public:
  explicit Accuracy(double threshold = 0.5);
  void add(double prediction, double label, double weight = 1.0);
  void merge(const Accuracy& other);
  double value() const { return mean_.value(); }
  uint64_t count() const { return mean_.count(); }
  uint64_t masked() const { return mean_.masked(); }
  double threshold() const { return threshold_; }

 private:
  double threshold_;
  WeightedMean mean_;
};

}  // namespace reco::eval
