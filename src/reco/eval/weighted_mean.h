// WeightedMean: the state shared by every pointwise metric (log loss, Brier, accuracy, MSE):
//   value = sum_i w_i * term_i / sum_i w_i    (NaN when sum_i w_i == 0, e.g. nothing added)
// plus the row counters every accumulator reports. Pointwise metrics own one of these and
// feed it the per-row term computed by their stateless function.
// Layout: two compensated sums and two u64 counters (48 bytes); trivially copyable.
#pragma once

#include <cstdint>
#include <limits>

#include "reco/eval/compensated_sum.h"

namespace reco::eval {

class WeightedMean {
 public:
  void add(double term, double weight) {
    terms_.add(weight * term);
    weights_.add(weight);
    ++count_;
  }
  void add_masked() { ++masked_; }
  void merge(const WeightedMean& other) {
    terms_.merge(other.terms_);
    weights_.merge(other.weights_);
    count_ += other.count_;
    masked_ += other.masked_;
  }
  double value() const {
    const double w = weights_.value();
    return w > 0.0 ? terms_.value() / w : std::numeric_limits<double>::quiet_NaN();
  }
  /// Rows added with a non-NaN label (zero-weight rows included).
  uint64_t count() const { return count_; }
  /// Rows added with a NaN label.
  uint64_t masked() const { return masked_; }
  double weight_sum() const { return weights_.value(); }

 private:
  CompensatedSum terms_;
  CompensatedSum weights_;
  uint64_t count_ = 0;
  uint64_t masked_ = 0;
};

}  // namespace reco::eval
