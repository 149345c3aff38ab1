// PrAuc: average precision, as scikit-learn's average_precision_score defines it.
//
// Definition: thresholds t_1 > t_2 > ... are the distinct scores. At threshold t_n
//   TP_n = sum of w over positives with s >= t_n,  FP_n = same over negatives,
//   P_n  = TP_n / (TP_n + FP_n)   (precision),  R_n = TP_n / P   (recall, P = total positive w)
//   value = sum_n (R_n - R_{n-1}) * P_n,   R_0 = 0
// A step function (no interpolation): all rows tied at one score enter together, so a tie
// block's precision is that of the whole block. Only blocks holding positive weight
// contribute (R_n - R_{n-1} = 0 otherwise).
// value() is NaN when P == 0 (no positive weight; scikit-learn returns 0 with a warning).
// With only positives it is 1. Labels must be 0 or 1 (NaN masks); w >= 0.
// Cost: 24 bytes per row stored; value() sorts a copy. Not thread-safe: one per thread, merge().
#pragma once

#include <cstdint>
#include <span>

#include "reco/eval/scored_samples.h"

namespace reco::eval {

/// Average precision of rows already in canonical order (sort_by_score_desc); labels 0/1.
double average_precision(std::span<const ScoredSample> sorted_rows);

class PrAuc {
 public:
  void add(double score, double label, double weight = 1.0) { rows_.add(score, label, weight); }
  void merge(const PrAuc& other) { rows_.merge(other.rows_); }
  double value() const;
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  ScoredSamples rows_{"pr_auc"};
};

}  // namespace reco::eval
