// Gauc: group AUC, the per-query/per-user ROC-AUC averaged over groups (Zhou et al. 2018,
// "Deep Interest Network", section 5.1).
//
//   AUC_g  = roc_auc of the group's rows (weighted, ties half credit; see roc_auc.h)
//   w_g    = GaucWeighting::kImpressions (default): sum of sample weights in the group
//            (= the group's impression count with unit weights), as in the DIN paper;
//            GaucWeighting::kClicks: sum of w * y in the group (weighted positive count),
//            which lets users with many clicks dominate instead of users with many views.
//   value  = sum_g w_g AUC_g / sum_g w_g over groups where AUC_g is defined
// Groups with a single class (AUC_g undefined) are skipped and counted in
// GroupedResult::groups_skipped; they carry no ranking signal. NaN when no group is usable.
// Labels must be 0 or 1 (NaN masks); scores finite; w >= 0.
// Not thread-safe: one per thread, then merge().
#pragma once

#include <cstdint>

#include "reco/eval/grouped_accumulator.h"

namespace reco::eval {

enum class GaucWeighting { kImpressions, kClicks };

/// GAUC over the groups, as defined above. Throws kInvalidArgument on a label not 0/1.
GroupedResult evaluate_gauc(const SortedGroups& groups, GaucWeighting weighting);

class Gauc {
 public:
  explicit Gauc(GaucWeighting weighting = GaucWeighting::kImpressions) : weighting_(weighting) {}
  void add(uint64_t group, double score, double label, double weight = 1.0);
  void merge(const Gauc& other);
  double value() const { return result().value; }
  GroupedResult result() const { return evaluate_gauc(rows_.sorted(), weighting_); }
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  GaucWeighting weighting_;
  GroupedAccumulator rows_{"gauc"};
};

}  // namespace reco::eval
