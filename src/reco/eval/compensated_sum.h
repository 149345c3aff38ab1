// CompensatedSum: a running double sum with Neumaier's error compensation.
//
// Why: metrics are summed over 10^8+ rows; a plain double sum loses ~log2(n) bits and makes
// merge(a, b) differ from one pass over a+b in the last digits. The compensated sum keeps the
// error at O(eps) independent of n, so shard-then-merge agrees with one pass to ~1e-15.
// Layout: two doubles (sum, compensation); trivially copyable.
#pragma once

#include <cmath>

namespace reco::eval {

class CompensatedSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    // Neumaier: recover the low-order bits lost by whichever operand was smaller.
    if (std::fabs(sum_) >= std::fabs(x)) {
      comp_ += (sum_ - t) + x;
    } else {
      comp_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  void merge(const CompensatedSum& other) {
    add(other.sum_);
    comp_ += other.comp_;
  }
  double value() const { return sum_ + comp_; }

 private:
  double sum_ = 0.0;
  double comp_ = 0.0;
};

}  // namespace reco::eval
