// NdcgAtK: normalised discounted cumulative gain at cut-off k, averaged over groups.
//
// Per group (rows ranked by score, best first; positions i = 0, 1, ...):
//   gain(y)  = 2^y - 1 (Gain::kExponential, the default, the usual learning-to-rank form)
//            = y       (Gain::kLinear, what scikit-learn's ndcg_score uses)
//   disc(i)  = 1 / log2(i + 2) for i < k, 0 beyond
//   DCG@k    = sum over tie blocks B (rows with equal score, positions a..b-1) of
//              mean_{r in B} gain(y_r) * sum_{i=a}^{b-1} disc(i)
//              i.e. the expected DCG over random orderings of tied rows (McSherry & Najork
//              2008; scikit-learn's ignore_ties=False), so ties neither help nor hurt.
//   IDCG@k   = DCG@k of the rows sorted by label descending (ideal ranking of the group's
//              own labels)
//   NDCG@k   = DCG@k / IDCG@k
// value = unweighted mean of NDCG@k over groups with IDCG@k > 0; groups with IDCG@k == 0
// (no positive gain) are skipped and counted in GroupedResult::groups_skipped.
// Sample weights are accepted (for a uniform add() signature) but do not enter NDCG: each
// usable query/user counts once. Labels must be finite and >= 0 (checked in value()).
// k = kAllPositions means no cut-off. Not thread-safe: one per thread, then merge().
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "reco/eval/grouped_accumulator.h"

namespace reco::eval {

enum class Gain { kExponential, kLinear };

inline constexpr std::size_t kAllPositions = std::numeric_limits<std::size_t>::max();

/// gain(y) as defined above.
double gain(double label, Gain kind);
/// 1 / log2(position + 2), position 0-based.
double rank_discount(std::size_t position);
/// Tie-averaged DCG@k of rows in canonical order (score descending).
double dcg_at_k(std::span<const ScoredSample> sorted_rows, std::size_t k, Gain kind);
/// DCG@k of the ideal order of the same labels.
double ideal_dcg_at_k(std::span<const ScoredSample> rows, std::size_t k, Gain kind);
/// DCG@k / IDCG@k; NaN when IDCG@k == 0. Throws kInvalidArgument on a negative label.
double ndcg_at_k(std::span<const ScoredSample> sorted_rows, std::size_t k, Gain kind);

/// Mean NDCG@k over the groups, as defined above.
GroupedResult evaluate_ndcg(const SortedGroups& groups, std::size_t k, Gain kind);

class NdcgAtK {
 public:
  explicit NdcgAtK(std::size_t k = kAllPositions, Gain kind = Gain::kExponential);
  void add(uint64_t group, double score, double label, double weight = 1.0) {
    rows_.add(group, score, label, weight);
  }
  void merge(const NdcgAtK& other);
  double value() const { return result().value; }
  GroupedResult result() const { return evaluate_ndcg(rows_.sorted(), k_, kind_); }
  uint64_t count() const { return rows_.count(); }
  uint64_t masked() const { return rows_.masked(); }

 private:
  std::size_t k_;
  Gain kind_;
  GroupedAccumulator rows_{"ndcg"};
};

}  // namespace reco::eval
