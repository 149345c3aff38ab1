// HitRateAtK: per-group hit rate at cut-off k, averaged over groups.
//
// Per group (rows ranked by score, best first; relevant = label > 0):
//   HitRate@k = 1 if at least one relevant row is in the top k, else 0
// Ties straddling the cut-off are resolved in expectation over random orderings of the tied
// rows: a block of m rows with r relevant and s slots left in the top k (no relevant row
// ranked above it) hits with probability 1 - C(m - r, s) / C(m, s).
// value = unweighted mean over groups with at least one relevant row; groups without are
// skipped and counted. Sample weights do not enter. Not thread-safe: one per thread, merge().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "reco/eval/grouped_accumulator.h"

namespace reco::eval {

/// HitRate@k of one group in canonical order; NaN when the group has no relevant row.
double hit_rate_at_k(std::span<const ScoredSample> sorted_rows, std::size_t k);

GroupedResult evaluate_hit_rate(const SortedGroups& groups, std::size_t k);

class HitRateAtK {
 public:
  explicit HitRateAtK(std::size_t k);
  void add(uint64_t group, double score, double label, double weight = 1.0) {
    rows_.add(group, score, label, weight);
  }
  void merge(const HitRateAtK& other);
  double value() const { return result().value; }
  GroupedResult result() const { return evaluate_hit_rate(rows_.sorted(), k_); }
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  std::size_t k_;
  GroupedAccumulator rows_{"hit_rate"};
};

}  // namespace reco::eval
