// RecallAtK: per-group recall at cut-off k, averaged over groups.
//
// Per group (rows ranked by score, best first): relevant rows are those with label > 0.
//   Recall@k = (relevant rows in the top k) / (relevant rows in the group)
// Ties straddling the cut-off: a tie block at positions a..b-1 with c = |{a..b-1} ∩ {0..k-1}|
// slots inside the top k gives each of its rows probability c / (b - a) of being there, so
// Recall@k is the expected value over random orderings of tied rows (deterministic, and
// independent of insertion order).
// value = unweighted mean over groups with at least one relevant row; groups without are
// skipped and counted. Sample weights do not enter (each query/user counts once).
// Labels must be finite (graded labels allowed). Not thread-safe: one per thread, merge().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "reco/eval/grouped_accumulator.h"

namespace reco::eval {

/// Recall@k of one group in canonical order; NaN when the group has no relevant row.
double recall_at_k(std::span<const ScoredSample> sorted_rows, std::size_t k);

GroupedResult evaluate_recall(const SortedGroups& groups, std::size_t k);

class RecallAtK {
 public:
  explicit RecallAtK(std::size_t k);
  void add(uint64_t group, double score, double label, double weight = 1.0) {
    rows_.add(group, score, label, weight);
  }
  void merge(const RecallAtK& other);
  double value() const { return result().value; }
  GroupedResult result() const { return evaluate_recall(rows_.sorted(), k_); }
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  std::size_t k_;
  GroupedAccumulator rows_{"recall"};
};

}  // namespace reco::eval
