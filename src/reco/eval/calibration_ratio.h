// CalibrationRatio: how much a model over- or under-predicts on average.
//   value = sum_i w_i * p_i / sum_i w_i * y_i
//         = (weighted mean prediction) / (weighted mean label)
// 1 is calibrated on average, > 1 over-predicts. NaN when sum_i w_i * y_i == 0 (no positive
// label weight, which includes "nothing added").
// Inputs: p in [0, 1]; y in [0, 1]; NaN y masks the row; w >= 0.
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>

#include "reco/eval/compensated_sum.h"

namespace reco::eval {

class CalibrationRatio {
 public:
  void add(double prediction, double label, double weight = 1.0);
  void merge(const CalibrationRatio& other);
  double value() const;
  uint64_t count() const { return count_; }
  uint64_t masked() const { return masked_; }

 private:
  CompensatedSum predicted_;  // sum w * p
  CompensatedSum observed_;   // sum w * y
  uint64_t count_ = 0;
  uint64_t masked_ = 0;
};

}  // namespace reco::eval
