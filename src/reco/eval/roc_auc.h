// RocAuc: exact, weighted area under the ROC curve.
//
// Definition (the weighted Mann-Whitney statistic with average ranks for ties):
//   P = sum of w over positives, N = sum of w over negatives
//   value = (1 / (P N)) * sum_{i positive} sum_{j negative} w_i w_j * ([s_i > s_j] + 0.5 [s_i == s_j])
// i.e. a tied (positive, negative) pair earns half credit. This equals the trapezoidal area
// under the weighted ROC curve (ties give diagonal segments), which is what scikit-learn's
// roc_auc_score(y, s, sample_weight=w) computes.
// value() is NaN when P == 0 or N == 0 (only one class present, or nothing added): AUC is
// undefined there, and NaN propagates visibly instead of a misleading 0.5.
// Cost: 24 bytes per row stored; value() sorts a copy, O(n log n).
// Labels must be 0 or 1 (NaN masks); scores any finite value; w >= 0.
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>
#include <span>

#include "reco/eval/scored_samples.h"

namespace reco::eval {

/// AUC of rows already in canonical order (sort_by_score_desc); labels 0/1. NaN for one class.
double roc_auc(std::span<const ScoredSample> sorted_rows);

class RocAuc {
 public:
  void add(double score, double label, double weight = 1.0) { rows_.add(score, label, weight); }
  void merge(const RocAuc& other) { rows_.merge(other.rows_); }
  double value() const;
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  ScoredSamples rows_{"auc"};
};

}  // namespace reco::eval
